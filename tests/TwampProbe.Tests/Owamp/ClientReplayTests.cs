using TwampProbe.Owamp.Client;
using TwampProbe.Protocol.Crypto;
using TwampProbe.Protocol.Keys;
using TwampProbe.Protocol.Tests.Golden;
using TwampProbe.Protocol.Wire.Control;
using TwampProbe.Protocol.Wire.Owamp.Control;
using TwampProbe.Tests.Interop;

namespace TwampProbe.Tests.Owamp;

/// <summary>
/// Our OWAMP Control-Client against owampd's recorded answers (owamp_O/A/E.pcapng), with owping's
/// randomness and owping's session parameters: every server HMAC verifies, the Stop-Sessions records and
/// the fetched session data decode, and what we write is owping's client stream octet for octet —
/// Set-Up-Response, both Request-Sessions (slots and their HMACs), Start-Sessions, Stop-Sessions, Fetch-Session.
/// </summary>
public sealed class ClientReplayTests
{
    const string Identity = "testuser";
    // Client stream (PROTOCOL-OWAMP.md): Set-Up-Response 164, 2 × Request-Session (112 + 16 + 16),
    // Start-Sessions 32, Stop-Sessions with one record 64, Fetch-Session 48.
    const int SetupEnd = 164, Request1End = SetupEnd + 144, Request2End = Request1End + 144, StartEnd = Request2End + 32,
        StopEnd = StartEnd + 64, FetchEnd = StopEnd + FetchSession.Size;
    // Server stream: greeting 64, Server-Start 48, 2 × Accept-Session 48, Start-Ack 32, Stop-Sessions 64, Fetch-Ack 32, data.
    const int GreetingEnd = 64, ServerStartEnd = 112, Accept1End = 160, Accept2End = 208, StartAckEnd = 240, ServerStopEnd = 304;

    [Theory]
    [InlineData("owamp_O.pcapng", TwampModes.Unauthenticated)]
    [InlineData("owamp_A.pcapng", TwampModes.Authenticated)]
    [InlineData("owamp_E.pcapng", TwampModes.Encrypted)]
    public async Task OurClientSpeaksOwpingsBytesToOwampd(string file, TwampModes mode)
    {
        var capture = TwampCapture.Load(file, controlPort: 861);
        byte[] c2s = capture.ClientToServer, s2c = capture.ServerToClient;
        Assert.Equal(FetchEnd, c2s.Length);
        var keyFile = KeyFile.Parse(File.ReadAllText(TwampCapture.FixturePath("golden.pfs")), "golden.pfs");

        // owping's randomness (session keys, Client-IV) from its Token, and its plaintext commands.
        var setup = SetupResponse.Parse(c2s.AsSpan(0, SetupEnd));
        Assert.Equal(mode, setup.Mode);
        byte[][] randomness = [];
        byte[] plain = c2s.ToArray();
        if (mode != TwampModes.Unauthenticated)
        {
            var greeting = ServerGreeting.Parse(s2c.AsSpan(0, GreetingEnd));
            Assert.True(keyFile.TryGetPassphrase(Identity, out var passphrase));
            using var keys = Token.Open(SharedSecret.DeriveKey(passphrase, greeting.Salt, greeting.Count), setup.Token, greeting.Challenge)!;
            randomness = [keys.AesKey.ToArray(), keys.HmacKey.ToArray(), setup.ClientIv];
            using var fromClient = ControlCipher.Create(keys, setup.ClientIv);
            fromClient.Decrypt(plain.AsSpan(SetupEnd));
        }
        var request1 = RequestSession.Parse(plain.AsSpan(SetupEnd, Request1End - SetupEnd));
        var request2 = RequestSession.Parse(plain.AsSpan(Request1End, Request2End - Request1End));
        var ourStop = StopSessions.Parse(plain.AsSpan(StartEnd, StopEnd - StartEnd));
        var fetch = FetchSession.Parse(plain.AsSpan(StopEnd, FetchSession.BodySize));

        var stream = new ScriptedControlStream(s2c,
            (0, GreetingEnd), (SetupEnd, ServerStartEnd), (Request1End, Accept1End), (Request2End, Accept2End),
            (StartEnd, ServerStopEnd), (FetchEnd, s2c.Length));
        using var client = new OwampControlClient(stream, capture.ClientEndPoint!, capture.ServerEndPoint!);
        var handOut = new Queue<byte[]>(randomness);
        client.Control.RandomBytes = n =>
        {
            var next = handOut.Dequeue();
            Assert.Equal(next.Length, n);
            return next.ToArray();
        };
        var ct = new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token;

        await client.SetupAsync([mode], Identity, keyFile, 32768, ct);
        Assert.Empty(handOut);
        Assert.Equal(mode, client.Mode);
        // Client → server session (Conf-Receiver): the server chooses port and SID.
        Assert.True(request1.ServerReceives);
        var accept1 = await client.RequestSessionAsync(request1, ct);
        Assert.Equal(AcceptCode.Ok, accept1.Accept);
        Assert.Equal(capture.TestPackets.First(p => p.SourcePort == request1.SenderPort).DestinationPort, accept1.Port);
        // Server → client session (Conf-Sender): the SID is ours, the port the one the server sends from.
        Assert.True(request2.ServerSends);
        var accept2 = await client.RequestSessionAsync(request2, ct);
        Assert.Equal(AcceptCode.Ok, accept2.Accept);
        Assert.Equal(capture.TestPackets.First(p => p.DestinationPort == request2.ReceiverPort).SourcePort, accept2.Port);
        Assert.Equal(AcceptCode.Ok, await client.StartSessionsAsync(ct));

        // Stop-Sessions in both directions: the server's lists its send session (request 2's SID), ours request 1's.
        var serverStop = await client.ReadStopSessionsAsync(1, ct);
        Assert.Equal(AcceptCode.Ok, serverStop.Accept);
        var theirs = Assert.Single(serverStop.Sessions);
        Assert.Equal(request2.Sid, theirs.Sid);
        Assert.Equal(100u, theirs.NextSeqno);
        Assert.Empty(theirs.SkipRanges);
        var mine = Assert.Single(ourStop.Sessions);
        Assert.Equal(accept1.Sid, mine.Sid);
        await client.SendStopSessionsAsync(AcceptCode.Ok, [new StopSessionRecord(accept1.Sid, 100, [])], ct);

        // Fetch the session the server received; all four parts' HMACs verify as they are read.
        Assert.True(fetch.IsComplete);
        var (ack, data) = await client.FetchSessionAsync(FetchSession.Complete(accept1.Sid), 1000, ct);
        Assert.Equal(AcceptCode.Ok, ack.Accept);
        Assert.True(ack.Finished);
        Assert.Equal(100u, ack.NextSeqno);
        Assert.NotNull(data);
        Assert.Equal(100, data.Records.Count);
        Assert.Equal(request1.SenderPort, data.Request.SenderPort);
        Assert.Equal(accept1.Port, data.Request.ReceiverPort); // the ports actually used (RFC 4656 §3.9)
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (uint)i), data.Records.Select(r => r.SequenceNumber));
        Assert.All(data.Records, r => Assert.False(r.IsLost));
        Assert.Equal(s2c.Length, stream.ServerOctetsRead);

        byte[] written = stream.Written;
        int same = c2s.AsSpan().CommonPrefixLength(written);
        Assert.True(same == c2s.Length && written.Length == c2s.Length,
            $"our client stream leaves owping's at octet {same} of {c2s.Length} (we wrote {written.Length})");
    }
}
