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

/// Takes the first whole message off the front of `buf`: `Ok(None)` while more bytes are needed,
/// `Malformed` for a length prefix above [`MAX_FRAME`], a prefix longer than a varint can be, or
/// bytes that do not decode as `M`. Pure, so it is fuzzed on its own.
pub fn split<M: Message + Default>(buf: &mut Vec<u8>) -> Result<Option<M>, FrameError> {
    if buf.is_empty() {
        return Ok(None);
    }
    let mut view = &buf[..];
    let Ok(len) = prost::decode_length_delimiter(&mut view) else {
        // An unfinished varint is at most 10 bytes long.
        return if buf.len() > 10 {
            Err(FrameError::Malformed)
        } else {
            Ok(None)
        };
    };
    if len > MAX_FRAME {
        return Err(FrameError::Malformed);
    }
    let prefix = prost::length_delimiter_len(len);
    if buf.len() < prefix + len {
        return Ok(None);
    }
    let message = M::decode(&buf[prefix..prefix + len]).map_err(|_| FrameError::Malformed)?;
    buf.drain(..prefix + len);
    Ok(Some(message))
}

/// Reads one message, buffering across reads in `buf`; `Finished` at a clean end of stream.
pub async fn read<M: Message + Default>(
    recv: &mut quinn::RecvStream,
    buf: &mut Vec<u8>,
) -> Result<M, FrameError> {
    loop {
        if let Some(message) = split(buf)? {
            return Ok(message);
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

#[cfg(test)]
mod tests {
    use super::*;
    use orion_proto::v1::QuoteSubmission;
    use proptest::prelude::*;

    fn submission(n: u64, price: String) -> QuoteSubmission {
        QuoteSubmission {
            rfq_id: format!("rfq-{n}"),
            lp_quote_id: n,
            price,
            size: "1000000".into(),
            valid_until_ns: n * 7,
        }
    }

    proptest! {
        /// Messages written back to back come out whole and in order however the bytes are
        /// cut into reads.
        #[test]
        fn messages_survive_any_chunking(
            prices in proptest::collection::vec("[0-9]{1,6}\\.[0-9]{1,5}", 1..20),
            cut in 1usize..64,
        ) {
            let sent: Vec<QuoteSubmission> = prices
                .into_iter()
                .enumerate()
                .map(|(i, p)| submission(i as u64, p))
                .collect();
            let bytes: Vec<u8> = sent.iter().flat_map(|m| m.encode_length_delimited_to_vec()).collect();
            let mut buf = Vec::new();
            let mut received = Vec::new();
            for chunk in bytes.chunks(cut) {
                buf.extend_from_slice(chunk);
                while let Some(m) = split::<QuoteSubmission>(&mut buf).unwrap() {
                    received.push(m);
                }
            }
            prop_assert_eq!(received, sent);
            prop_assert!(buf.is_empty());
        }

        /// Arbitrary bytes never panic: a message, a wait for more, or `Malformed`.
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let mut buf = bytes;
            let _ = split::<QuoteSubmission>(&mut buf);
        }
    }

    #[test]
    fn oversized_or_endless_prefixes_are_malformed() {
        let mut too_long = Vec::new();
        prost::encode_length_delimiter(MAX_FRAME + 1, &mut too_long).unwrap();
        assert!(matches!(
            split::<QuoteSubmission>(&mut too_long),
            Err(FrameError::Malformed)
        ));
        let mut endless = vec![0xff; 11];
        assert!(matches!(
            split::<QuoteSubmission>(&mut endless),
            Err(FrameError::Malformed)
        ));
        let mut unfinished = vec![0xff; 3];
        assert!(matches!(
            split::<QuoteSubmission>(&mut unfinished),
            Ok(None)
        ));
    }
}
