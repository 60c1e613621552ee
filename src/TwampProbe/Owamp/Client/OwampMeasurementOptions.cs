using System.Net;

namespace TwampProbe.Owamp.Client;

/// <summary>What one owping run asks of the server (RFC 4656 §3.5 fields and the directions).</summary>
public sealed record OwampMeasurementOptions
{
    public int Count { get; init; } = 100;
    public TimeSpan Interval { get; init; } = TimeSpan.FromMilliseconds(100);
    /// <summary>One exponential slot of mean <see cref="Interval"/> (owping's default), else one fixed slot.</summary>
    public bool Exponential { get; init; } = true;
    public uint Padding { get; init; }
    public int Dscp { get; init; }
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>Client → server (a session the server receives, Conf-Receiver = 1).</summary>
    public bool To { get; init; } = true;
    /// <summary>Server → client (a session the server sends, Conf-Sender = 1).</summary>
    public bool From { get; init; } = true;
    public bool ZeroPadding { get; init; }
    /// <summary>Receiver Port to ask the server for in the client → server session (0: the server's choice).</summary>
    public int ReceiverPort { get; init; }
    /// <summary>Local address of the test sockets (default: the control connection's).</summary>
    public IPAddress? Source { get; init; }
    /// <summary>How long after the request the sessions start (RFC 4656 §3.5 Start Time).</summary>
    public TimeSpan StartDelay { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>How long Request-Session and Start-Sessions may wait for the server's answers.</summary>
    public TimeSpan SetupTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
