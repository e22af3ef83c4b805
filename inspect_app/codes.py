"""Label codes: short, opaque, easy to read aloud and type.

Six random Crockford base32 symbols and a Luhn mod 32 check symbol, shown as
``7K3-QX9M``. Typing is forgiving: case, spaces, dashes and the look-alikes
O/0, I/1, L/1 do not matter. Codes are never derived from database ids.
"""
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 7
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def normalize(text):
    """Canonical form of a typed or scanned code (upper case, no separators, look-alikes
    mapped), or '' if nothing code-like is left."""
    text = (text or "").upper().translate(_LOOKALIKES)
    return "".join(ch for ch in text if ch.isascii() and ch.isalnum())


def check_symbol(body):
    """Luhn mod 32 check symbol over the body: catches every single-symbol error and
    most swaps of neighbours."""
    factor, total = 2, 0
    for ch in reversed(body):
        addend = factor * _VALUE[ch]
        factor = 1 if factor == 2 else 2
        total += addend // 32 + addend % 32
    return ALPHABET[(32 - total % 32) % 32]


def is_well_formed(code):
    """True if a normalized code has our length, alphabet and a matching check symbol."""
    return (len(code) == CODE_LENGTH and all(ch in _VALUE for ch in code)
            and check_symbol(code[:-1]) == code[-1])


def new_code():
    """A fresh random code (the caller makes sure it was never issued before)."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH - 1))
    return body + check_symbol(body)


def display(code):
    """How a code is printed and read aloud: 7K3-QX9M."""
    if len(code) == CODE_LENGTH:
        return f"{code[:3]}-{code[3:]}"
    return code
