//! Sans-IO framing codecs (in progress).
