namespace TwampProbe.Linux.Interop;

/// <summary>struct iovec (16 bytes on LP64).</summary>
internal unsafe struct Iovec
{
    public void* Base;
    public nuint Length;
}
