"""Ed25519 (RFC 8032 §6) in plain Python, the reference arithmetic the vector
generators sign with (generate_v2.py, generate_v3.py): no dependency, and it
cross-checks the Rust signer (a bundle or key set signed here must load). It
exposes the signature's parts (R, S) so hostile variants can be built from them,
and the point arithmetic so small-order and non-canonical keys can be written.
"""
import hashlib

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D_CURVE = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _add(a, b):
    A = (a[1] - a[0]) * (b[1] - b[0]) % P
    B = (a[1] + a[0]) * (b[1] + b[0]) % P
    C = 2 * a[3] * b[3] * D_CURVE % P
    Dd = 2 * a[2] * b[2] % P
    E, F, G, H = B - A, Dd - C, Dd + C, B + A
    return (E * F % P, G * H % P, F * G % P, E * H % P)


def _mul(s, pt):
    q = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            q = _add(q, pt)
        pt = _add(pt, pt)
        s >>= 1
    return q


def _compress(pt):
    zinv = pow(pt[2], P - 2, P)
    x, y = pt[0] * zinv % P, pt[1] * zinv % P
    return int.to_bytes(y | ((x & 1) << 255), 32, "little")


def _recover_x(y, sign):
    x2 = (y * y - 1) * pow(D_CURVE * y * y + 1, P - 2, P)
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None
    if (x & 1) != sign:
        x = P - x
    return x


_GY = 4 * pow(5, P - 2, P) % P
_GX = _recover_x(_GY, 0)
BASE = (_GX, _GY, 1, _GX * _GY % P)


def _h(data):
    return int.from_bytes(hashlib.sha512(data).digest(), "little")


def _expand(seed):
    h = hashlib.sha512(seed).digest()
    a = int.from_bytes(h[:32], "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    return a, h[32:]


def ed_public(seed: bytes) -> bytes:
    a, _ = _expand(seed)
    return _compress(_mul(a, BASE))


def ed_sign(seed: bytes, msg: bytes):
    """(R, S) as integers/bytes, so hostile variants can be built from them."""
    a, prefix = _expand(seed)
    A = _compress(_mul(a, BASE))
    r = _h(prefix + msg) % L
    Rb = _compress(_mul(r, BASE))
    k = _h(Rb + A + msg) % L
    s = (r + k * a) % L
    return Rb, s


def sig_bytes(Rb, s):
    return Rb + int.to_bytes(s, 32, "little")
