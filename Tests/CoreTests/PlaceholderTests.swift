import Testing
@Test func CoreTestsPlaceholder() { #expect(Bool(true)) }
