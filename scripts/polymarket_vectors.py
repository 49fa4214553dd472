#!/usr/bin/env python3
"""Independent test vectors for the Swift `PolymarketSigning` target.

Writes Tests/PolymarketSigningTests/Vectors/signing_vectors.json from PyPI libraries only:
  * EIP-712 order/ClobAuth digests and signatures: typed data written out here and encoded with
    eth_account's `encode_typed_data` + `Account.sign_message` (RFC 6979, so signatures are
    deterministic), cross-checked against py-clob-client-v2's own ExchangeOrderBuilderV2 and
    sign_clob_auth_message;
  * maker/taker amounts: py-clob-client-v2's OrderBuilder.get_order_amounts /
    get_market_order_amounts, cross-checked against an exact Decimal transcription of the rules;
  * POST /order bodies: py-clob-client-v2's order_to_json_v2 + json.dumps(separators=(",", ":"),
    ensure_ascii=False), exactly as its client posts them;
  * Keccak-256 of inputs around the 136-byte rate: pycryptodome's keccak (original 0x01 padding);
  * L2 HMAC: Python hmac + base64, cross-checked against py-clob-client-v2's build_hmac_signature.

Regenerate (from the repository root):
    python3 -m venv /tmp/pmvectors && /tmp/pmvectors/bin/pip install eth-account==0.14.0 py-clob-client-v2==1.2.1
    /tmp/pmvectors/bin/python scripts/polymarket_vectors.py
The output is deterministic; commit the JSON together with any change to this script.
"""

import base64
import hashlib
import hmac
import json
import os
import sys
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_UP, Decimal, getcontext

from Crypto.Hash import keccak
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import to_checksum_address

from py_clob_client_v2.headers.headers import create_level_1_headers, create_level_2_headers
from py_clob_client_v2.clob_types import ApiCreds, RequestArgs
from py_clob_client_v2.order_builder.builder import ROUNDING_CONFIG, OrderBuilder
from py_clob_client_v2.order_utils import ExchangeOrderBuilderV2, Side, SignatureTypeV2
from py_clob_client_v2.order_utils.model.order_data_v2 import OrderDataV2, order_to_json_v2
from py_clob_client_v2.signer import Signer
from py_clob_client_v2.signing.hmac import build_hmac_signature

getcontext().prec = 60
CHAIN_ID = 137
CTF_V2 = "0xE111180000d2663C0091e4f400237545B87B996B"
NEG_RISK_V2 = "0xe2222d279d744050d28e00520010520000310F59"
ZERO32 = "0x" + "00" * 32
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "PolymarketSigningTests", "Vectors",
                   "signing_vectors.json")

KEYS = [
    "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318",
    "0x" + "11" * 32,
    "0x8da4ef21b864d2cc526dbdb2a120bd2874c36c9d0a1fb7f8c63d7f7a8b41de8f",
]
# Real-looking up/down token ids (77 digits) and the largest uint256.
TOKEN_A = "71321045679252212594626385532706912750332728571942532289631379312455583992563"
TOKEN_B = "52114319501245915516055106046884209969926127482827954674443846427813813222426"
TOKEN_MAX = str(2**256 - 1)
OWNER = "f4f247b7-4ac7-ff29-a152-04fda0a8755a"


# ---------------------------------------------------------------- amounts (exact Decimal transcription)
def _rd(x, n):
    return x.quantize(Decimal(1).scaleb(-n), rounding=ROUND_DOWN)


def _ru(x, n):
    return x.quantize(Decimal(1).scaleb(-n), rounding=ROUND_UP)


def _too_long(x, n):
    return _rd(x, n) != x


def _round_amount(x, n):
    if _too_long(x, n):
        x = _ru(x, n + 4)
        if _too_long(x, n):
            x = _rd(x, n)
    return x


def _units(x):
    return int((x * 10**6).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def decimal_amounts(kind, side, price, quantity, tick):
    cfg = ROUNDING_CONFIG[tick]
    p, q = Decimal(price), Decimal(quantity)
    given = _rd(q, cfg.size)
    if kind == "limit":
        other = _round_amount(given * p, cfg.amount)
        return (_units(other), _units(given)) if side == "BUY" else (_units(given), _units(other))
    other = _round_amount(given / p if side == "BUY" else given * p, cfg.amount)
    return _units(given), _units(other)


def pcc2_amounts(kind, side, price, quantity, tick):
    builder = OrderBuilder(Signer(KEYS[0], CHAIN_ID))
    fn = builder.get_order_amounts if kind == "limit" else builder.get_market_order_amounts
    _, maker, taker = fn(side, float(quantity), float(price), ROUNDING_CONFIG[tick])
    return maker, taker


def amounts(kind, side, price, quantity, tick):
    exact = decimal_amounts(kind, side, price, quantity, tick)
    library = pcc2_amounts(kind, side, price, quantity, tick)
    if exact != library:
        sys.exit(f"amount mismatch {kind} {side} {quantity}@{price} tick {tick}: Decimal {exact} vs py-clob-client-v2 {library}")
    return exact


AMOUNT_CASES = [
    # (kind, side, price, size-or-amount, tick) — the first three are the protocol doc's examples.
    ("limit", "BUY", "0.57", "10", "0.01"),
    ("market", "BUY", "0.99", "5", "0.01"),
    ("limit", "SELL", "0.999", "7.5", "0.001"),
    ("limit", "BUY", "0.3", "11.119", "0.1"),
    ("limit", "SELL", "0.9", "3.33", "0.1"),
    ("market", "BUY", "0.7", "10", "0.1"),
    ("limit", "BUY", "0.07", "21.21", "0.01"),
    ("limit", "SELL", "0.33", "100.999", "0.01"),
    ("market", "SELL", "0.99", "12.345", "0.01"),
    ("market", "BUY", "0.33", "1", "0.01"),
    ("limit", "BUY", "0.995", "5.55", "0.005"),
    ("limit", "SELL", "0.005", "1234.56", "0.005"),
    ("market", "BUY", "0.335", "7", "0.005"),
    ("market", "SELL", "0.125", "9.99", "0.005"),
    ("limit", "BUY", "0.9975", "13.37", "0.0025"),
    ("limit", "SELL", "0.0025", "400", "0.0025"),
    ("market", "BUY", "0.3325", "2.5", "0.0025"),
    ("market", "SELL", "0.4975", "3.21", "0.0025"),
    ("limit", "BUY", "0.123", "6.66", "0.001"),
    ("limit", "SELL", "0.001", "5000", "0.001"),
    ("market", "BUY", "0.777", "3.33", "0.001"),
    ("market", "SELL", "0.999", "1.01", "0.001"),
    ("limit", "BUY", "0.1234", "8.88", "0.0001"),
    ("limit", "SELL", "0.9999", "2.22", "0.0001"),
    ("market", "BUY", "0.0001", "1.5", "0.0001"),
    ("market", "SELL", "0.5001", "77.77", "0.0001"),
]


def amount_vectors():
    out = []
    for kind, side, price, quantity, tick in AMOUNT_CASES:
        maker, taker = amounts(kind, side, price, quantity, tick)
        out.append({"kind": kind, "side": side, "price": price, "quantity": quantity, "tick": tick,
                    "maker": maker, "taker": taker})
    return out


# ---------------------------------------------------------------- orders
ORDER_TYPES = [
    {"name": "salt", "type": "uint256"}, {"name": "maker", "type": "address"}, {"name": "signer", "type": "address"},
    {"name": "tokenId", "type": "uint256"}, {"name": "makerAmount", "type": "uint256"},
    {"name": "takerAmount", "type": "uint256"}, {"name": "side", "type": "uint8"},
    {"name": "signatureType", "type": "uint8"}, {"name": "timestamp", "type": "uint256"},
    {"name": "metadata", "type": "bytes32"}, {"name": "builder", "type": "bytes32"},
]
DOMAIN_TYPES = [
    {"name": "name", "type": "string"}, {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"}, {"name": "verifyingContract", "type": "address"},
]

ORDER_CASES = [
    dict(name="eoa_limit_buy_ctf", key=0, signatureType=0, funder=None, negRisk=False, kind="limit", side="BUY",
         price="0.57", quantity="10", tick="0.01", tokenId=TOKEN_A, salt=479_001_600, timestampMs=1_767_225_600_123,
         expiration=0, orderType="GTC", postOnly=False, deferExec=False),
    dict(name="proxy_limit_sell_ctf", key=1, signatureType=1, funder="0x9d2e0f1e0abd7a84cf0a24a4e6c8e7dd7c2db3f1",
         negRisk=False, kind="limit", side="SELL", price="0.999", quantity="7.5", tick="0.001", tokenId=TOKEN_B,
         salt=1_234_567_890_123, timestampMs=1_767_225_601_000, expiration=1_767_229_200, orderType="GTD",
         postOnly=True, deferExec=False),
    dict(name="eoa_market_buy_negrisk", key=2, signatureType=0, funder=None, negRisk=True, kind="market", side="BUY",
         price="0.99", quantity="5", tick="0.01", tokenId=TOKEN_A, salt=42, timestampMs=1_767_225_602_999,
         expiration=0, orderType="FOK", postOnly=False, deferExec=False),
    dict(name="safe_market_sell_negrisk", key=0, signatureType=2, funder="0x00000000219ab540356cbb839cbe05303d7705fa",
         negRisk=True, kind="market", side="SELL", price="0.05", quantity="12.345", tick="0.005", tokenId=TOKEN_B,
         salt=0, timestampMs=1_767_225_603_500, expiration=0, orderType="FAK", postOnly=False, deferExec=True),
]

# Struct-level cases (no builder inputs): non-zero metadata/builder and the largest token id.
RAW_ORDER_CASES = [
    dict(name="raw_max_token_with_builder_code", key=1, signatureType=0, funder=None, negRisk=False,
         tokenId=TOKEN_MAX, makerAmount=18_446_744_073_709_551_615, takerAmount=1, side="SELL",
         salt=18_446_744_073_709_551_615, timestampMs=1, metadata="0x" + "ab" * 32,
         builder="0x" + "0123456789abcdef" * 4),
]


def typed_order(message, negRisk):
    return {
        "primaryType": "Order",
        "types": {"EIP712Domain": DOMAIN_TYPES, "Order": ORDER_TYPES},
        "domain": {"name": "Polymarket CTF Exchange", "version": "2", "chainId": CHAIN_ID,
                   "verifyingContract": NEG_RISK_V2 if negRisk else CTF_V2},
        "message": message,
    }


def sign_order(case, key, maker_amount, taker_amount, metadata=ZERO32, builder=ZERO32):
    account = Account.from_key(key)
    maker = account.address if case["funder"] is None else to_checksum_address(case["funder"])
    message = {
        "salt": case["salt"], "maker": maker, "signer": account.address, "tokenId": int(case["tokenId"]),
        "makerAmount": maker_amount, "takerAmount": taker_amount, "side": 0 if case["side"] == "BUY" else 1,
        "signatureType": case["signatureType"], "timestamp": case["timestampMs"],
        "metadata": bytes.fromhex(metadata[2:]), "builder": bytes.fromhex(builder[2:]),
    }
    signed = Account.sign_message(encode_typed_data(full_message=typed_order(message, case["negRisk"])), private_key=key)
    signature = "0x" + signed.signature.hex()
    digest = "0x" + signed.message_hash.hex()

    # Cross-check with py-clob-client-v2's own V2 exchange builder (same salt and timestamp).
    pcc2 = ExchangeOrderBuilderV2(NEG_RISK_V2 if case["negRisk"] else CTF_V2, CHAIN_ID, Signer(key, CHAIN_ID),
                                  generate_salt=lambda: str(case["salt"]))
    pcc2_order = pcc2.build_signed_order(OrderDataV2(
        maker=maker, tokenId=case["tokenId"], makerAmount=str(maker_amount), takerAmount=str(taker_amount),
        side=Side.BUY if case["side"] == "BUY" else Side.SELL, signer=account.address,
        signatureType=SignatureTypeV2(case["signatureType"]), timestamp=str(case["timestampMs"]),
        metadata=metadata, builder=builder, expiration=str(case.get("expiration", 0))))
    if pcc2_order.signature != signature:
        sys.exit(f"{case['name']}: eth_account signature {signature} != py-clob-client-v2 {pcc2_order.signature}")
    if Account._recover_hash(signed.message_hash, signature=signed.signature) != account.address:
        sys.exit(f"{case['name']}: signature does not recover")
    return maker, account.address, digest, signature, pcc2_order


def order_vectors():
    out = []
    for case in ORDER_CASES:
        key = KEYS[case["key"]]
        maker_amount, taker_amount = amounts(case["kind"], case["side"], case["price"], case["quantity"], case["tick"])
        maker, signer, digest, signature, pcc2_order = sign_order(case, key, maker_amount, taker_amount)
        body = json.dumps(order_to_json_v2(pcc2_order, OWNER, case["orderType"], case["postOnly"], case["deferExec"]),
                          separators=(",", ":"), ensure_ascii=False)
        out.append({**{k: v for k, v in case.items() if k != "key"}, "privateKey": key, "maker": maker,
                    "signer": signer, "makerAmount": str(maker_amount), "takerAmount": str(taker_amount),
                    "metadata": ZERO32, "builder": ZERO32, "digest": digest, "signature": signature,
                    "owner": OWNER, "body": body})
    return out


def raw_order_vectors():
    out = []
    for case in RAW_ORDER_CASES:
        key = KEYS[case["key"]]
        maker, signer, digest, signature, _ = sign_order(case, key, case["makerAmount"], case["takerAmount"],
                                                         case["metadata"], case["builder"])
        out.append({**{k: v for k, v in case.items() if k != "key"}, "privateKey": key, "maker": maker,
                    "signer": signer, "makerAmount": str(case["makerAmount"]),
                    "takerAmount": str(case["takerAmount"]), "digest": digest, "signature": signature})
    return out


# ---------------------------------------------------------------- Keccak-256
def keccak_vectors():
    out = []
    for length in [1, 135, 136, 137, 271, 272, 273, 1000]:
        data = bytes((i * 7 + 3) & 0xFF for i in range(length))
        out.append({"length": length, "pattern": "(i*7+3)&0xff", "hash": keccak.new(digest_bits=256, data=data).hexdigest()})
    return out


# ---------------------------------------------------------------- L1 (ClobAuth)
def clob_auth_vectors():
    out = []
    for key, timestamp, nonce in [(KEYS[0], 1_767_225_600, 0), (KEYS[1], 1_700_000_000, 7), (KEYS[2], 1_767_225_999, 0)]:
        account = Account.from_key(key)
        typed = {
            "primaryType": "ClobAuth",
            "types": {
                "EIP712Domain": DOMAIN_TYPES[:3],
                "ClobAuth": [{"name": "address", "type": "address"}, {"name": "timestamp", "type": "string"},
                             {"name": "nonce", "type": "uint256"}, {"name": "message", "type": "string"}],
            },
            "domain": {"name": "ClobAuthDomain", "version": "1", "chainId": CHAIN_ID},
            "message": {"address": account.address, "timestamp": str(timestamp), "nonce": nonce,
                        "message": "This message attests that I control the given wallet"},
        }
        signed = Account.sign_message(encode_typed_data(full_message=typed), private_key=key)
        signature = "0x" + signed.signature.hex()
        headers = create_level_1_headers(Signer(key, CHAIN_ID), nonce=nonce, timestamp=timestamp)
        if headers["POLY_SIGNATURE"] != signature:
            sys.exit(f"ClobAuth: eth_account {signature} != py-clob-client-v2 {headers['POLY_SIGNATURE']}")
        out.append({"privateKey": key, "address": account.address, "timestamp": timestamp, "nonce": nonce,
                    "digest": "0x" + signed.message_hash.hex(), "signature": signature,
                    "headers": [[name, value] for name, value in headers.items()]})
    return out


# ---------------------------------------------------------------- L2 (HMAC)
def hmac_vectors(orders):
    secret_bytes = bytes(range(0xF0, 0x100)) + bytes(range(0x00, 0x10)) + b"\xfb\xff"  # yields '-' and '_'
    padded = base64.urlsafe_b64encode(secret_bytes).decode()
    unpadded = padded.rstrip("=")
    assert padded != unpadded and "-" in padded and "_" in padded
    address = Account.from_key(KEYS[0]).address
    cases = [
        (padded, 1_767_225_600, "POST", "/order", orders[0]["body"]),
        (unpadded, 1_767_225_601, "DELETE", "/cancel-all", None),
        (padded, 1_767_225_602, "GET", "/data/orders", ""),
    ]
    out = []
    for secret, timestamp, method, path, body in cases:
        message = f"{timestamp}{method}{path}" + (body or "")
        key = base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))
        signature = base64.urlsafe_b64encode(hmac.new(key, message.encode(), hashlib.sha256).digest()).decode()
        library = build_hmac_signature(secret + "=" * (-len(secret) % 4), timestamp, method, path, body)
        if library != signature:
            sys.exit(f"HMAC: python {signature} != py-clob-client-v2 {library}")
        creds = ApiCreds(api_key=OWNER, api_secret=secret + "=" * (-len(secret) % 4), api_passphrase="pass-phrase-1")
        headers = create_level_2_headers(Signer(KEYS[0], CHAIN_ID), creds,
                                         RequestArgs(method=method, request_path=path, body=None, serialized_body=body),
                                         timestamp=timestamp)
        if headers["POLY_SIGNATURE"] != signature:
            sys.exit("L2 headers signature mismatch")
        out.append({"secret": secret, "timestamp": timestamp, "method": method, "path": path, "body": body,
                    "signature": signature, "apiKey": OWNER, "passphrase": "pass-phrase-1", "address": address,
                    "headers": [[name, value] for name, value in headers.items()]})
    return out


def main():
    orders = order_vectors()
    vectors = {
        "generator": "scripts/polymarket_vectors.py (eth-account 0.14.0, py-clob-client-v2 1.2.1)",
        "keys": [{"privateKey": key, "address": Account.from_key(key).address} for key in KEYS],
        "keccak": keccak_vectors(),
        "amounts": amount_vectors(),
        "orders": orders,
        "rawOrders": raw_order_vectors(),
        "clobAuth": clob_auth_vectors(),
        "hmac": hmac_vectors(orders),
    }
    with open(OUT, "w") as f:
        json.dump(vectors, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
