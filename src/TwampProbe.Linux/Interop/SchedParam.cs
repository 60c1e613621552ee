namespace TwampProbe.Linux.Interop;

/// <summary>struct sched_param.</summary>
internal struct SchedParam
{
    public int Priority;
}
