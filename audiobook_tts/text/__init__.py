"""Book text -> normalised, sentence-split chunks sized for Chatterbox's compile buckets."""

from .chunker import Chunk, bucket_for, chunk_chapter
from .normalize import normalize, normalize_title
from .sentences import split_sentences

__all__ = ["Chunk", "bucket_for", "chunk_chapter", "normalize", "normalize_title", "split_sentences"]
