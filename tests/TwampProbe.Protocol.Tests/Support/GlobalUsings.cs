// The namespaces most files of this project open, opened once (as ImplicitUsings opens System's).
global using TwampProbe.Protocol.Crypto;
global using TwampProbe.Protocol.Wire;
global using Xunit;
global using static TwampProbe.Protocol.Tests.TestHex;
