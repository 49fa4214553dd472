import Foundation
import HostConfig
import Testing

struct ConfigRedactionTests {
    static let instances = "instances: [{id: a, plugin: p.so, symbols: [BTCUSDT]}]"

    @Test("the dashboard token of a block mapping is not in the recorded text; the marker is")
    func blockToken() throws {
        let config = try StrategyConfigLoader.parse("""
            version: 1
            host:
              dashboard_port: 8080
              dashboard_token: s3cret-token-0123456789
            \(Self.instances)
            """, file: "test.yaml")
        #expect(config.host.dashboardToken == "s3cret-token-0123456789")
        #expect(!config.text.contains("s3cret-token-0123456789"))
        #expect(config.text.contains("dashboard_token: \"[redacted]\""))
    }

    @Test("a token in a flow mapping is redacted and the recorded text still parses to the same settings")
    func flowTokenReparses() throws {
        let config = try StrategyConfigLoader.parse("""
            version: 1
            host: {dashboard_port: 8080, dashboard_token: 'tok''en-0123456789abcdef', record: false}
            \(Self.instances)
            """, file: "test.yaml")
        #expect(!config.text.contains("0123456789abcdef"))
        let again = try StrategyConfigLoader.parse(config.text, file: "recorded")
        #expect(again.host.dashboardPort == 8080)
        #expect(again.host.record == false)
        #expect(again.host.dashboardToken == ConfigRedaction.marker)
    }

    @Test("a double-quoted token with escapes is redacted whole")
    func doubleQuotedToken() throws {
        let config = try StrategyConfigLoader.parse("""
            version: 1
            host: {dashboard_token: "abc\\"def-0123456789"}
            \(Self.instances)
            """, file: "test.yaml")
        #expect(config.host.dashboardToken == "abc\"def-0123456789")
        #expect(!config.text.contains("0123456789"))
        #expect(config.text.contains("host: {dashboard_token: \"[redacted]\"}"))
    }

    @Test("a URL's password is redacted and its user, host and port are kept")
    func urlPassword() throws {
        let config = try StrategyConfigLoader.parse("""
            version: 1
            host:
              redis_url: redis://user:pa55word@cache.local:6379/2
            \(Self.instances)
            """, file: "test.yaml")
        #expect(config.host.redisURL == "redis://user:pa55word@cache.local:6379/2")
        #expect(!config.text.contains("pa55word"))
        #expect(config.text.contains("redis_url: redis://user:redacted@cache.local:6379/2"))
    }

    @Test("everything but the secret's value is recorded as written, comments included")
    func restUnchanged() throws {
        let yaml = """
            version: 1   # the format
            host:
              dashboard_token: "0123456789abcdef0123"  # from the vault
              log_level: debug
            \(Self.instances)
            """
        let config = try StrategyConfigLoader.parse(yaml, file: "test.yaml")
        #expect(config.text == yaml.replacingOccurrences(of: "\"0123456789abcdef0123\"", with: "\"[redacted]\""))
    }

    @Test("a configuration without secrets is recorded byte for byte")
    func noSecretsUnchanged() throws {
        let yaml = """
            version: 1
            host: {log_level: debug, redis_url: "redis://cache.local:6379"}
            \(Self.instances)
            """
        #expect(try StrategyConfigLoader.parse(yaml, file: "test.yaml").text == yaml)
    }

    @Test("a token written as a multi-line scalar makes the text unrecordable rather than recorded with the secret")
    func multiLineUnrecordable() throws {
        let config = try StrategyConfigLoader.parse("""
            version: 1
            host:
              dashboard_token: >-
                folded-0123456789abcdef
            \(Self.instances)
            """, file: "test.yaml")
        #expect(config.host.dashboardToken == "folded-0123456789abcdef")
        #expect(config.text == ConfigRedaction.unrecordable)
    }
}
