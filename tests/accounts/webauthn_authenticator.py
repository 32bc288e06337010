"""A software WebAuthn authenticator for tests: a real P-256 key and real signatures.

It builds ``clientDataJSON``, ``authenticatorData`` and a ``none`` attestation object byte by byte
(with a tiny CBOR encoder of its own), so the server's verification runs unmodified on genuine
input — nothing in the verifier is mocked.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, AT = 0x01, 0x04, 0x40


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _head(major: int, value: int) -> bytes:
    if value < 24:
        return bytes([(major << 5) | value])
    for extra, size, fmt in ((24, 1, ">B"), (25, 2, ">H"), (26, 4, ">I"), (27, 8, ">Q")):
        if value < 1 << (8 * size):
            return bytes([(major << 5) | extra]) + struct.pack(fmt, value)
    raise ValueError(value)


def cbor(value) -> bytes:
    """Encode ints, bytes, str and dicts (keys in the order given) as CBOR (RFC 8949)."""
    if isinstance(value, bool):
        raise TypeError("bool not needed")
    if isinstance(value, int):
        return _head(0, value) if value >= 0 else _head(1, -1 - value)
    if isinstance(value, bytes):
        return _head(2, len(value)) + value
    if isinstance(value, str):
        raw = value.encode()
        return _head(3, len(raw)) + raw
    if isinstance(value, dict):
        return _head(5, len(value)) + b"".join(cbor(k) + cbor(v) for k, v in value.items())
    raise TypeError(type(value))


class SoftAuthenticator:
    """One credential (one passkey) on a software device."""

    def __init__(self, *, rp_id: str = "localhost", origin: str = "http://localhost:8000") -> None:
        self.rp_id = rp_id
        self.origin = origin
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.sign_count = 0
        self.user_handle: bytes | None = None

    def _cose_public_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": origin or self.origin, "crossOrigin": False}
        ).encode()

    def create(self, options: dict, *, origin: str | None = None, user_verified: bool = True) -> dict:
        """``navigator.credentials.create`` for the server's creation options."""
        public_key = options["publicKey"]
        self.user_handle = base64.urlsafe_b64decode(public_key["user"]["id"] + "==")
        client_data = self._client_data("webauthn.create", public_key["challenge"], origin)
        flags = UP | AT | (UV if user_verified else 0)
        attested = bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id + self._cose_public_key()
        auth_data = hashlib.sha256(self.rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", self.sign_count)
        attestation = cbor({"fmt": "none", "attStmt": {}, "authData": auth_data + attested})
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "response": {"clientDataJSON": b64url(client_data), "attestationObject": b64url(attestation)},
            "clientExtensionResults": {"credProps": {"rk": True}},
        }

    def get(
        self,
        options: dict,
        *,
        origin: str | None = None,
        user_verified: bool = True,
        sign_count: int | None = None,
        rp_id: str | None = None,
    ) -> dict:
        """``navigator.credentials.get``: a real ECDSA-SHA256 signature over authData ‖ SHA-256(clientData)."""
        public_key = options["publicKey"]
        if sign_count is None:
            self.sign_count += 1
            sign_count = self.sign_count
        client_data = self._client_data("webauthn.get", public_key["challenge"], origin)
        flags = UP | (UV if user_verified else 0)
        auth_data = (
            hashlib.sha256((rp_id or self.rp_id).encode()).digest() + bytes([flags]) + struct.pack(">I", sign_count)
        )
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": b64url(self.user_handle) if self.user_handle else None,
            },
            "clientExtensionResults": {},
        }
