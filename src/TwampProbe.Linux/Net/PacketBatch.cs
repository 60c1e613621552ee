using TwampProbe.Linux.Interop;

namespace TwampProbe.Linux.Net;

/// <summary>
/// Pre-allocated batch of datagram slots in pinned native memory (buffers, mmsghdr/iovec arrays,
/// socket addresses and control buffers). Allocated once, reused forever; no per-packet allocation.
/// </summary>
public sealed unsafe class PacketBatch : IDisposable
{
    /// <summary>recvmmsg/sendmmsg accept at most UIO_MAXIOV messages per call.</summary>
    public const int MaxSlots = 1024;

    internal const int AddressBytes = 32;  // >= sizeof(sockaddr_in6) (28)
    internal const int ControlBytes = 256; // room for timestamping + TTL + TOS + IP_PKTINFO + IPV6_PKTINFO cmsgs (184)

    private readonly NativeMemoryHandle _memory;
    private readonly PacketMeta[] _meta;
    private readonly int _slotStride;
    private readonly nuint _iovOffset;
    private readonly nuint _addrOffset;
    private readonly nuint _controlOffset;
    private readonly nuint _dataOffset;

    public PacketBatch(int slots, int slotBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(slots, MaxSlots);
        ArgumentOutOfRangeException.ThrowIfLessThan(slotBytes, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(slotBytes, 65536);

        Capacity = slots;
        SlotBytes = slotBytes;
        UnreadyHeaders = slots;
        _slotStride = (slotBytes + 63) & ~63;
        nuint n = (nuint)slots;
        _iovOffset = Align64(n * (nuint)sizeof(MMsgHdr));
        _addrOffset = _iovOffset + Align64(n * (nuint)sizeof(Iovec));
        _controlOffset = _addrOffset + n * AddressBytes;
        _dataOffset = _controlOffset + n * ControlBytes;
        _memory = new NativeMemoryHandle(_dataOffset + n * (nuint)_slotStride);
        _meta = new PacketMeta[slots];
        for (int i = 0; i < slots; i++)
        {
            _meta[i].Ttl = -1;
            _meta[i].TrafficClass = -1;
        }
    }

    /// <summary>Number of slots.</summary>
    public int Capacity { get; }

    /// <summary>Bytes per slot buffer.</summary>
    public int SlotBytes { get; }

    /// <summary>The whole buffer of a slot.</summary>
    public Span<byte> Buffer(int slot)
    {
        CheckSlot(slot);
        ObjectDisposedException.ThrowIf(_memory.IsClosed, this);
        return new Span<byte>(Data(slot), SlotBytes);
    }

    /// <summary>The metadata of a slot.</summary>
    public ref PacketMeta Meta(int slot)
    {
        CheckSlot(slot);
        return ref _meta[slot];
    }

    public void Dispose() => _memory.Dispose();

    internal NativeMemoryHandle Memory => _memory;

    internal PacketMeta[] MetaArray => _meta;

    internal MMsgHdr* Headers => (MMsgHdr*)_memory.Pointer;

    /// <summary>
    /// Headers [0..this) may not be set up for recvmmsg (a receive filled them or a send rewrote them);
    /// the ones beyond are. All of them at first.
    /// </summary>
    internal int UnreadyHeaders { get; set; }

    internal Iovec* Iov(int slot) => (Iovec*)(_memory.Pointer + _iovOffset) + slot;

    internal byte* Address(int slot) => _memory.Pointer + _addrOffset + (nuint)slot * AddressBytes;

    internal byte* Control(int slot) => _memory.Pointer + _controlOffset + (nuint)slot * ControlBytes;

    internal byte* Data(int slot) => _memory.Pointer + _dataOffset + (nuint)slot * (nuint)_slotStride;

    private static nuint Align64(nuint v) => (v + 63) & ~(nuint)63;

    private void CheckSlot(int slot)
    {
        if ((uint)slot >= (uint)Capacity)
        {
            ThrowSlot(slot);
        }
    }

    private static void ThrowSlot(int slot) => throw new ArgumentOutOfRangeException(nameof(slot), slot, "Slot out of range.");
}
