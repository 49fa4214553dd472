import Testing
import VenueKit

struct KeepAliveTests {
    @Test("without an application keep-alive every text frame is data and nothing is sent")
    func noneTreatsEverythingAsData() {
        #expect(KeepAlive.none.ping == nil)
        #expect(KeepAlive.none.classify("PING") == .data)
        #expect(KeepAlive.none.classify("{\"op\":\"pong\"}") == .data)
    }
}
