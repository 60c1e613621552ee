// The namespaces most files of this project open, opened once (as ImplicitUsings opens System's).
global using System.Net;
global using TwampProbe.Protocol.Wire;
global using TwampProbe.Tests.Support;
global using Xunit;
