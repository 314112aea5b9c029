"""audiobook-tts: chaptered audiobooks from books and a voice sample, with Chatterbox TTS."""
__version__ = "0.1.0"
