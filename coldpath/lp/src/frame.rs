//! Length-delimited protobuf messages on QUIC streams (varint length, then the message).

use prost::Message;

/// Largest frame accepted from a peer.
pub const MAX_FRAME: usize = 64 * 1024;

/// Why a frame could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The stream failed.
    #[error("read: {0}")]
    Read(#[from] quinn::ReadError),
    /// The stream ended cleanly before a frame.
    #[error("stream finished")]
    Finished,
    /// A length prefix above [`MAX_FRAME`] or bytes that do not decode.
    #[error("malformed frame")]
    Malformed,
}

/// Reads one message, buffering across reads in `buf`; `Finished` at a clean end of stream.
pub async fn read<M: Message + Default>(
    recv: &mut quinn::RecvStream,
    buf: &mut Vec<u8>,
) -> Result<M, FrameError> {
    loop {
        if !buf.is_empty() {
            let mut view = &buf[..];
            if let Ok(len) = prost::decode_length_delimiter(&mut view) {
                if len > MAX_FRAME {
                    return Err(FrameError::Malformed);
                }
                let prefix = prost::length_delimiter_len(len);
                if buf.len() >= prefix + len {
                    let message =
                        M::decode(&buf[prefix..prefix + len]).map_err(|_| FrameError::Malformed)?;
                    buf.drain(..prefix + len);
                    return Ok(message);
                }
            } else if buf.len() > 10 {
                return Err(FrameError::Malformed);
            }
        }
        let mut chunk = [0u8; 4096];
        match recv.read(&mut chunk).await? {
            Some(n) => buf.extend_from_slice(&chunk[..n]),
            None if buf.is_empty() => return Err(FrameError::Finished),
            None => return Err(FrameError::Malformed),
        }
    }
}

/// Writes one message.
pub async fn write<M: Message>(
    send: &mut quinn::SendStream,
    message: &M,
) -> Result<(), quinn::WriteError> {
    send.write_all(&message.encode_length_delimited_to_vec())
        .await
}
