using TwampProbe.Protocol.Wire.Control;

namespace TwampProbe.Fuzz;

/// <summary>
/// The control-message codecs. Byte 0 picks the message, the rest is its octets. Documented bad
/// input: <see cref="ControlProtocolException"/>. A message that parses must survive
/// write → parse → write with the same octets (the codec's canonical form is stable).
/// </summary>
public static class ControlCodecTarget
{
    public const int Messages = 7;

    public static void Run(byte[] input)
    {
        if (input.Length == 0) return;
        var body = input.AsSpan(1);
        try
        {
            switch (input[0] % Messages)
            {
                case 0: Stable(ServerGreeting.Parse(body), ServerGreeting.Size, (m, d) => m.Write(d), s => ServerGreeting.Parse(s)); break;
                case 1: Stable(SetupResponse.Parse(body), SetupResponse.Size, (m, d) => m.Write(d), s => SetupResponse.Parse(s)); break;
                case 2: Stable(ServerStart.Parse(body), ServerStart.Size, (m, d) => m.Write(d), s => ServerStart.Parse(s)); break;
                case 3:
                    var request = RequestTwSession.Parse(body);
                    _ = request.Validate();
                    Stable(request, RequestTwSession.Size, (m, d) => m.Write(d), s => RequestTwSession.Parse(s));
                    break;
                case 4: Stable(AcceptSession.Parse(body), AcceptSession.Size, (m, d) => m.Write(d), s => AcceptSession.Parse(s)); break;
                case 5:
                    Stable(ShortControlMessage.ParseStartAck(body), ShortControlMessage.Size,
                        (a, d) => ShortControlMessage.WriteStartAck(d, a), s => ShortControlMessage.ParseStartAck(s));
                    break;
                default:
                    Stable(ShortControlMessage.ParseStopSessions(body), ShortControlMessage.Size,
                        (m, d) => ShortControlMessage.WriteStopSessions(d, m.Accept, m.Sessions), s => ShortControlMessage.ParseStopSessions(s));
                    break;
            }
        }
        catch (ControlProtocolException)
        {
            // documented: not enough octets or not that message
        }
    }

    delegate void Writer<T>(T message, Span<byte> destination);
    delegate T Parser<T>(ReadOnlySpan<byte> source);

    static void Stable<T>(T parsed, int size, Writer<T> write, Parser<T> parse)
    {
        var first = new byte[size];
        write(parsed, first);
        var second = new byte[size];
        write(parse(first), second);
        if (!first.AsSpan().SequenceEqual(second))
            throw new FuzzPropertyException($"{typeof(T).Name}: write(parse(write(m))) differs from write(m)");
    }
}
