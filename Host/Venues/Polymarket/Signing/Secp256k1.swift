import VenueKit
import CSecp256k1

/// The one libsecp256k1 context of the process, created and randomized once.
///
/// `@unchecked Sendable`: libsecp256k1 documents a context as safe for concurrent use by functions
/// that take it as `const` (sign, recover, pubkey create/serialize); it is only mutated here, in
/// `init`, before it is published.
final class Secp256k1Context: @unchecked Sendable {
    static let shared = Secp256k1Context()

    let pointer: OpaquePointer

    private init() {
        guard let context = secp256k1_context_create(UInt32(SECP256K1_CONTEXT_NONE)) else {
            fatalError("secp256k1_context_create failed")
        }
        // Blinding against side channels; the seed only needs to be unpredictable.
        var generator = SystemRandomNumberGenerator()
        let seed = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        guard secp256k1_context_randomize(context, seed) == 1 else { fatalError("secp256k1_context_randomize failed") }
        pointer = context
    }
}

/// A secp256k1 private key used to sign EIP-712 digests. Never printed: `description` shows the address only.
public struct PrivateKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private let secret: [UInt8]
    /// The Ethereum address of this key (last 20 bytes of keccak(uncompressed public key without its 0x04 prefix)).
    public let address: EthereumAddress

    /// Parses a 32-byte key given as 64 hex digits (optional `0x`).
    public init(hex: String) throws(SigningError) {
        guard let secret = Hex.decode(String(hex.trimmingWhitespace), expectedBytes: 32) else {
            throw SigningError(.invalidKey, "private key must be 64 hex digits (optionally 0x-prefixed)")
        }
        let context = Secp256k1Context.shared.pointer
        guard secp256k1_ec_seckey_verify(context, secret) == 1 else {
            throw SigningError(.invalidKey, "private key is zero or not below the secp256k1 group order")
        }
        var publicKey = secp256k1_pubkey()
        guard secp256k1_ec_pubkey_create(context, &publicKey, secret) == 1 else {
            throw SigningError(.invalidKey, "could not derive the public key")
        }
        self.secret = secret
        self.address = Secp256k1Context.address(of: &publicKey)
    }

    /// Signs a 32-byte digest: 65 bytes r‖s‖v with low s (libsecp256k1 always normalizes) and v ∈ {27, 28}.
    /// The nonce is RFC 6979 deterministic, so the signature equals eth_account's byte for byte.
    public func sign(digest: [UInt8]) throws(SigningError) -> [UInt8] {
        guard digest.count == 32 else {
            throw SigningError(.invalidSignature, "digest must be 32 bytes, got \(digest.count)")
        }
        let context = Secp256k1Context.shared.pointer
        var signature = secp256k1_ecdsa_recoverable_signature()
        guard secp256k1_ecdsa_sign_recoverable(context, &signature, digest, secret, nil, nil) == 1 else {
            throw SigningError(.invalidSignature, "secp256k1 signing failed")
        }
        var out = [UInt8](repeating: 0, count: 65)
        var recoveryID: Int32 = 0
        secp256k1_ecdsa_recoverable_signature_serialize_compact(context, &out, &recoveryID, &signature)
        out[64] = UInt8(recoveryID) + 27
        return out
    }

    public var description: String { "PrivateKey(\(address.checksummed), redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["address": address]) }
}

/// Recovers the signer of a 65-byte r‖s‖v signature.
public enum Secp256k1Recovery {
    /// The address whose key produced `signature` over `digest`; v may be 27/28 or 0/1.
    public static func recoverAddress(digest: [UInt8], signature: [UInt8]) throws(SigningError) -> EthereumAddress {
        guard digest.count == 32 else { throw SigningError(.invalidSignature, "digest must be 32 bytes, got \(digest.count)") }
        guard signature.count == 65 else { throw SigningError(.invalidSignature, "signature must be 65 bytes r‖s‖v, got \(signature.count)") }
        let v = signature[64]
        let recoveryID: Int32
        switch v {
        case 27, 28: recoveryID = Int32(v) - 27
        case 0, 1: recoveryID = Int32(v)
        default: throw SigningError(.invalidSignature, "signature v must be 27/28 (or 0/1), got \(v)")
        }
        let context = Secp256k1Context.shared.pointer
        var parsed = secp256k1_ecdsa_recoverable_signature()
        guard secp256k1_ecdsa_recoverable_signature_parse_compact(context, &parsed, signature, recoveryID) == 1 else {
            throw SigningError(.invalidSignature, "signature r or s is out of range")
        }
        var publicKey = secp256k1_pubkey()
        guard secp256k1_ecdsa_recover(context, &publicKey, &parsed, digest) == 1 else {
            throw SigningError(.invalidSignature, "no public key recovers from this signature and digest")
        }
        return Secp256k1Context.address(of: &publicKey)
    }
}

extension Secp256k1Context {
    /// Address = last 20 bytes of keccak256 of the 64-byte uncompressed public key (X‖Y).
    static func address(of publicKey: inout secp256k1_pubkey) -> EthereumAddress {
        var serialized = [UInt8](repeating: 0, count: 65)
        var length = 65
        secp256k1_ec_pubkey_serialize(shared.pointer, &serialized, &length, &publicKey, UInt32(SECP256K1_EC_UNCOMPRESSED))
        let hash = Keccak256.hash(serialized[1..<65])
        return EthereumAddress(unchecked: Array(hash[12..<32]))
    }
}

extension String {
    var trimmingWhitespace: Substring {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return s
    }
}
