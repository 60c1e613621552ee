namespace TwampProbe.Protocol.Wire.Control;

/// <summary>
/// A TWAMP-Control violation. <see cref="Accept"/> is the code to answer with; <see cref="CloseConnection"/>
/// says whether the only sane reaction is to close the control connection (e.g. a bad HMAC).
/// </summary>
public sealed class ControlProtocolException(string message, AcceptCode accept = AcceptCode.Failure, bool closeConnection = true)
    : Exception(message)
{
    public AcceptCode Accept { get; } = accept;
    public bool CloseConnection { get; } = closeConnection;
}
