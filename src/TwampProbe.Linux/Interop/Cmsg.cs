namespace TwampProbe.Linux.Interop;

/// <summary>CMSG_* macros computed correctly (Tmds.LibC's CMSG_LEN returns CMSG_SPACE).</summary>
internal static unsafe class Cmsg
{
    public static int Align(int n) => (n + sizeof(nuint) - 1) & ~(sizeof(nuint) - 1);

    public static int HeaderSize => Align(sizeof(CMsgHdr));

    public static int Len(int dataBytes) => HeaderSize + dataBytes;

    public static int Space(int dataBytes) => HeaderSize + Align(dataBytes);

    public static byte* Data(CMsgHdr* c) => (byte*)c + HeaderSize;

    /// <summary>CMSG_FIRSTHDR.</summary>
    public static CMsgHdr* First(void* control, nuint controlLength)
        => controlLength >= (nuint)sizeof(CMsgHdr) ? (CMsgHdr*)control : null;

    /// <summary>CMSG_NXTHDR (glibc semantics).</summary>
    public static CMsgHdr* Next(void* control, nuint controlLength, CMsgHdr* c)
    {
        if (c->Length < (nuint)sizeof(CMsgHdr))
        {
            return null;
        }

        byte* end = (byte*)control + controlLength;
        byte* next = (byte*)c + Align((int)c->Length);
        if (next + sizeof(CMsgHdr) > end || next + Align((int)((CMsgHdr*)next)->Length) > end)
        {
            return null;
        }

        return (CMsgHdr*)next;
    }
}
