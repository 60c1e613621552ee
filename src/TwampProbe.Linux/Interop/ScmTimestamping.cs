namespace TwampProbe.Linux.Interop;

/// <summary>struct scm_timestamping: ts[0] software, ts[1] deprecated, ts[2] raw hardware.</summary>
internal struct ScmTimestamping
{
    public Timespec Software;
    public Timespec Deprecated;
    public Timespec Hardware;
}
