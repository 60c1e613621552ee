namespace TwampProbe.Linux.Interop;

/// <summary>struct pollfd (8 bytes).</summary>
internal struct PollFd
{
    public int Fd;
    public short Events;
    public short Revents;
}
