namespace TwampProbe.Sessions;

/// <summary>
/// What the Session-Sender's own work costs, apart from its waiting: how much a measurement takes from
/// the probe's CPU (<c>ping --json</c> "sender_cpu", and <c>make bench</c> compares the modes with it).
/// <para>The send loop spins for the last 200 µs before each packet (send times stay within
/// microseconds), so its thread CPU time is its wall time and says nothing; it adds up instead, per
/// packet, the monotonic time from the moment the packet is due to the return of its send (header,
/// T1, protection, sendmsg). The receive thread only blocks when idle, so its thread CPU time
/// (CLOCK_THREAD_CPUTIME_ID, wake-ups included) is its cost.</para>
/// <para>Written by the send loop (<see cref="SendBusyNs"/>, <see cref="PacketsSent"/>) and the receive
/// thread (<see cref="ReceiveCpuNs"/>, <see cref="RepliesHandled"/>) before
/// <see cref="SessionSender.Run"/> returns; read after it.</para>
/// </summary>
public sealed class SenderCost
{
    /// <summary>Sum over packets of (send returned − packet due), nanoseconds.</summary>
    public long SendBusyNs { get; internal set; }
    public long PacketsSent { get; internal set; }
    /// <summary>CPU time of the receive thread over its whole loop, nanoseconds.</summary>
    public long ReceiveCpuNs { get; internal set; }
    /// <summary>Datagrams the receive thread read (valid, invalid, duplicate and late alike).</summary>
    public long RepliesHandled { get; internal set; }

    public double SendNsPerPacket => PacketsSent == 0 ? double.NaN : (double)SendBusyNs / PacketsSent;
    public double ReceiveNsPerReply => RepliesHandled == 0 ? double.NaN : (double)ReceiveCpuNs / RepliesHandled;
}
