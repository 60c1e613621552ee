namespace TwampProbe.Linux.Net;

/// <summary>A transmit timestamp read from the socket error queue.</summary>
/// <param name="Id">SOF_TIMESTAMPING_OPT_ID key: counts datagrams sent on the socket from 0.</param>
/// <param name="UnixNanoseconds">Transmit time, nanoseconds since the Unix epoch.</param>
/// <param name="Source">Kernel (software) or Hardware.</param>
public readonly record struct TxTimestamp(uint Id, long UnixNanoseconds, TimestampSource Source);
