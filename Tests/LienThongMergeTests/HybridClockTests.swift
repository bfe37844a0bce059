import LienThongCore
import LienThongMerge
import LienThongTestSupport
import Testing

@Suite("HybridClock never runs backwards and stays ahead of what it observed")
struct HybridClockTests {
    static func stamp(_ milliseconds: Int64, _ counter: Int64) -> HybridTimestamp {
        HybridTimestamp(milliseconds: milliseconds, counter: counter)
    }

    @Test("stamps compare as (milliseconds, counter)")
    func ordering() {
        #expect(Self.stamp(1, 5) < Self.stamp(2, 0))
        #expect(Self.stamp(2, 0) < Self.stamp(2, 1))
        #expect(!(Self.stamp(2, 1) < Self.stamp(2, 1)))
        #expect(Self.stamp(2, 1) == Self.stamp(2, 1))
        #expect(Self.stamp(3, 0) > Self.stamp(2, Int64.max))
    }

    @Test("the JSON form is [milliseconds, counter]")
    func json() {
        #expect(Self.stamp(1_767_225_600_000, 3).json.serializedText == "[1767225600000,3]")
    }

    static let ticks: [(last: (Int64, Int64), physical: Int64, expected: (Int64, Int64))] = [
        ((0, 0), 100, (100, 0)),
        ((100, 0), 100, (100, 1)),
        ((100, 3), 101, (101, 0)),
        ((100, 3), 50, (100, 4)),
        ((100, 3), -1, (100, 4)),
        ((100, Int64.max), 100, (101, 0)),
    ]

    @Test("tick takes the physical time when it is ahead, else counts on from the last stamp", arguments: ticks)
    func tick(last: (Int64, Int64), physical: Int64, expected: (Int64, Int64)) {
        var clock = HybridClock(last: Self.stamp(last.0, last.1))
        let issued = clock.tick(physicalMilliseconds: physical)
        #expect(issued == Self.stamp(expected.0, expected.1))
        #expect(clock.last == issued)
    }

    @Test("observe keeps the greater stamp, and the next tick comes after it")
    func observe() {
        var clock = HybridClock(last: Self.stamp(100, 2))
        clock.observe(Self.stamp(90, 9))
        #expect(clock.last == Self.stamp(100, 2))
        clock.observe(Self.stamp(100, 5))
        #expect(clock.last == Self.stamp(100, 5))
        clock.observe(Self.stamp(200, 0))
        #expect(clock.last == Self.stamp(200, 0))
        #expect(clock.tick(physicalMilliseconds: 150) == Self.stamp(200, 1))
    }

    @Test("over a random walk with a physical clock that jumps back, every tick exceeds all before it", arguments: 0..<20)
    func randomWalk(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        var clock = HybridClock()
        var greatest = clock.last
        var physical: Int64 = 1_000
        for _ in 0..<500 {
            physical += Int64.random(in: -30...20, using: &random)
            if Bool.random(using: &random) {
                let stamp = HybridTimestamp(milliseconds: physical + Int64.random(in: -50...50, using: &random), counter: Int64.random(in: 0...3, using: &random))
                clock.observe(stamp)
                greatest = max(greatest, stamp)
                #expect(clock.last == greatest)
            } else {
                let issued = clock.tick(physicalMilliseconds: physical)
                #expect(issued > greatest, "seed \(seed)")
                #expect(issued.milliseconds >= physical)
                greatest = issued
            }
        }
    }
}
