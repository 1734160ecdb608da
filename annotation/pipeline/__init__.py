"""The machine pass as plain typed Python: no Django imports, every stage testable on arrays.

Heavy dependencies (torch, whisperx, faster-whisper, parselmouth) are imported lazily inside
the functions that need them, so the web tier imports this package without them.
"""
