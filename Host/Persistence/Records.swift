import Foundation
import HostCore

/// The run manifest written when a session begins: enough to tell later what produced its rows.
public struct SessionInfo: Sendable, Hashable {
    public var id: String
    /// ns since the Unix epoch.
    public var startedAt: Int64
    public var hostVersion: String
    public var configHash: String
    public var configFile: String
    public var seed: UInt64
    public var plugins: [SessionPlugin]
    /// The configuration's text as the run read it (replays compare the file with it).
    public var configText: String
    /// The run's instruments in symbol-id order (recorded inputs refer to symbols by id).
    public var instruments: [Instrument]
    /// Where the market data came from: "simulated", "updown", "tardis:<dir>", …
    public var source: String
    /// Backtests: the data files read (in place of recorded inputs).
    public var dataFiles: RecordedDataFiles?

    public init(id: String, startedAt: Int64, hostVersion: String, configHash: String, configFile: String,
                seed: UInt64, plugins: [SessionPlugin], configText: String = "", instruments: [Instrument] = [], source: String = "",
                dataFiles: RecordedDataFiles? = nil) {
        self.dataFiles = dataFiles
        self.configText = configText
        self.instruments = instruments
        self.source = source
        self.id = id
        self.startedAt = startedAt
        self.hostVersion = hostVersion
        self.configHash = configHash
        self.configFile = configFile
        self.seed = seed
        self.plugins = plugins
    }
}

/// One plugin binary loaded in a session, identified by its fingerprint.
public struct SessionPlugin: Sendable, Hashable, Codable {
    public var pluginID: String
    public var version: String
    public var path: String
    public var fileFingerprint: String
    /// A hash of the file's bytes (FNV-1a 64, hex): a rebuilt plugin differs here even when
    /// its ABI fingerprint does not.
    public var fileHash: String?

    public init(pluginID: String, version: String, path: String, fileFingerprint: String, fileHash: String? = nil) {
        self.pluginID = pluginID
        self.version = version
        self.path = path
        self.fileFingerprint = fileFingerprint
        self.fileHash = fileHash
    }

    enum CodingKeys: String, CodingKey {
        case pluginID = "plugin_id", version, path, fileFingerprint = "file_fingerprint", fileHash = "file_hash"
    }
}

/// A stored session, with how it ended (nil while running, or when the host died).
public struct SessionRow: Sendable, Hashable {
    public var info: SessionInfo
    public var endedAt: Int64?
    public var exitStatus: String?
}

/// A stored order event that carried a fill.
public struct FillRow: Sendable, Hashable {
    public var sessionID: String
    public var clientOrderID: ClientOrderID
    public var instanceID: String
    public var mode: String
    public var symbol: String
    public var side: String
    /// The order status after this fill (`partially_filled` or `filled`).
    public var status: String
    public var price: Decimal
    public var size: Decimal
    /// Fee of this fill alone, in the quote asset.
    public var fee: Decimal
    /// `maker`, `taker`, or nil when the venue did not say.
    public var liquidity: String?
    public var venueOrderID: String
    /// ns since the Unix epoch.
    public var time: Int64
}

/// A stored signal and the session it was published in.
public struct SignalRow: Sendable, Hashable {
    public var sessionID: String
    public var signal: SignalRecord
}
