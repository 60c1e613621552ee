namespace TwampProbe.Sessions;

/// <summary>How a reflector thread waits for test packets (directive <c>reflector-poll</c>).</summary>
public enum ReflectorPollMode
{
    /// <summary>Sleep in epoll_wait: no CPU when idle, one wake-up per packet when traffic is sparse.</summary>
    Epoll,
    /// <summary>Poll without ever sleeping, on the pinned reflector CPU: turnaround without a wake-up, for a whole core.</summary>
    Busy,
}
