using TwampProbe.Protocol.Wire.Control;
using Xunit;
using static TwampProbe.Protocol.Tests.TestHex;

namespace TwampProbe.Protocol.Tests.Wire;

/// <summary>
/// Seeded random inputs into every control parser: the only failure a parser may report is a
/// <see cref="ControlProtocolException"/>, and for full-length inputs parse∘write∘parse is stable.
/// Octets are zero with probability 1/2 (zero fields, MBZ boundaries) and uniform otherwise.
/// </summary>
public class ControlParserPropertyTests
{
    const int Iterations = 20_000;

    /// <summary>Parses, re-writes, parses and re-writes again; returns the two encodings (null when rejected).</summary>
    static readonly Dictionary<string, (int FullLength, byte Command, Func<byte[], (string First, string Second)> RoundTrip)> Codecs = new()
    {
        ["ServerGreeting"] = (ServerGreeting.Size, 0, b =>
        {
            var first = Write(ServerGreeting.Parse(b).Write, ServerGreeting.Size);
            return (H(first), H(Write(ServerGreeting.Parse(first).Write, ServerGreeting.Size)));
        }),
        ["SetupResponse"] = (SetupResponse.Size, 0, b =>
        {
            var first = Write(SetupResponse.Parse(b).Write, SetupResponse.Size);
            return (H(first), H(Write(SetupResponse.Parse(first).Write, SetupResponse.Size)));
        }),
        ["ServerStart"] = (ServerStart.Size, 0, b =>
        {
            var first = Write(ServerStart.Parse(b).Write, ServerStart.Size);
            return (H(first), H(Write(ServerStart.Parse(first).Write, ServerStart.Size)));
        }),
        ["RequestTwSession"] = (RequestTwSession.BodySize, 5, b =>
        {
            var first = Write(RequestTwSession.Parse(b).Write, RequestTwSession.BodySize);
            return (H(first), H(Write(RequestTwSession.Parse(first).Write, RequestTwSession.BodySize)));
        }),
        ["AcceptSession"] = (AcceptSession.BodySize, 0, b =>
        {
            var first = Write(AcceptSession.Parse(b).Write, AcceptSession.BodySize);
            return (H(first), H(Write(AcceptSession.Parse(first).Write, AcceptSession.BodySize)));
        }),
        ["StartAck"] = (ShortControlMessage.BodySize, 0, b =>
        {
            var first = Write(d => ShortControlMessage.WriteStartAck(d, ShortControlMessage.ParseStartAck(b)), ShortControlMessage.BodySize);
            return (H(first), H(Write(d => ShortControlMessage.WriteStartAck(d, ShortControlMessage.ParseStartAck(first)), ShortControlMessage.BodySize)));
        }),
        ["StopSessions"] = (ShortControlMessage.BodySize, 3, b =>
        {
            var (a, n) = ShortControlMessage.ParseStopSessions(b);
            var first = Write(d => ShortControlMessage.WriteStopSessions(d, a, n), ShortControlMessage.BodySize);
            var (a2, n2) = ShortControlMessage.ParseStopSessions(first);
            return (H(first), H(Write(d => ShortControlMessage.WriteStopSessions(d, a2, n2), ShortControlMessage.BodySize)));
        }),
    };

    delegate void Writer(Span<byte> destination);

    static byte[] Write(Writer write, int size)
    {
        byte[] d = new byte[size];
        write(d);
        return d;
    }

    public static TheoryData<string> Names => new(Codecs.Keys);

    [Theory]
    [MemberData(nameof(Names))]
    public void RandomInputOnlyEverRaisesControlProtocolException(string codec)
    {
        var (fullLength, command, roundTrip) = Codecs[codec];
        var rng = new Random(1234);
        int parsed = 0;
        for (int i = 0; i < Iterations; i++)
        {
            byte[] input = new byte[rng.Next(0, 201)];
            for (int j = 0; j < input.Length; j++) input[j] = rng.Next(2) == 0 ? (byte)0 : (byte)rng.Next(256);
            if (command != 0 && input.Length > 0 && rng.Next(4) != 0) input[0] = command;
            try
            {
                var (first, second) = roundTrip(input);
                parsed++;
                if (input.Length >= fullLength)
                    Assert.True(first == second, $"{codec}: iteration {i}, input {H(input)}: write(parse(x)) = {first} but write(parse(write(parse(x)))) = {second}");
            }
            catch (ControlProtocolException)
            {
            }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException)
            {
                Assert.Fail($"{codec}: iteration {i}, input of {input.Length} octets {H(input)} threw {e.GetType().Name}: {e.Message}");
            }
        }
        Assert.True(parsed > Iterations / 10, $"{codec}: only {parsed} inputs parsed; the generator does not exercise the codec");
    }
}
