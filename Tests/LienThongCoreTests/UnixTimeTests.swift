import LienThongCore
import Testing

@Suite("UnixTime counts milliseconds and never traps")
struct UnixTimeTests {
    @Test("seconds round toward the past; seconds given are saturated at the ends of the range", arguments: [
        (0, 0), (999, 0), (1_000, 1), (-1, -1), (-1_000, -1), (-1_001, -2), (Int64.max, Int64.max / 1000), (Int64.min, Int64.min / 1000 - 1),
    ] as [(Int64, Int64)])
    func seconds(milliseconds: Int64, seconds: Int64) {
        #expect(UnixTime(milliseconds: milliseconds).seconds == seconds)
    }

    @Test("iso8601 is the whole second in UTC", arguments: [
        (Int64(0), "1970-01-01T00:00:00Z"), (1_796_473_196_999, "2026-12-05T12:19:56Z"), (-1, "1969-12-31T23:59:59Z"),
    ])
    func iso8601(milliseconds: Int64, text: String) {
        #expect(UnixTime(milliseconds: milliseconds).iso8601 == text)
    }

    @Test("HTTP dates and OpenSSL's certificate dates are read in UTC; anything else is nil")
    func dates() {
        #expect(UnixTime(httpDate: "Sun, 06 Nov 1994 08:49:37 GMT") == UnixTime(seconds: 784_111_777))
        #expect(UnixTime(year: "1994", month: "Nov", day: "6", time: "08:49:37") == UnixTime(seconds: 784_111_777))
        for bad in ["Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 06 Nox 1994 08:49:37 GMT", "Sun, 32 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 8:49 GMT", ""] {
            #expect(UnixTime(httpDate: bad) == nil, "\(bad)")
        }
    }

    @Test("init(seconds:) multiplies, or saturates")
    func fromSeconds() {
        #expect(UnixTime(seconds: 1_790_000_000).milliseconds == 1_790_000_000_000)
        #expect(UnixTime(seconds: -2).milliseconds == -2_000)
        #expect(UnixTime(seconds: .max).milliseconds == .max)
        #expect(UnixTime(seconds: .min).milliseconds == .min)
    }

    @Test("adding and subtracting a duration counts whole milliseconds, toward zero, and saturates", arguments: [
        (1_000, .milliseconds(1_500), 2_500, -500),
        (0, .nanoseconds(999_999), 0, 0),
        (0, .microseconds(-1_500), -1, 1),
        (0, .seconds(-1) - .nanoseconds(1), -1_000, 1_000),
        (Int64.max - 1, .milliseconds(2), Int64.max, Int64.max - 3),
        (Int64.min + 1, .milliseconds(-2), Int64.min, Int64.min + 3),
        (0, .seconds(Int64.max), Int64.max, Int64.min + 1),
        (0, .seconds(Int64.min), Int64.min, Int64.max),
        (-5, .seconds(Int64.max), Int64.max - 5, Int64.min),
        (5, .seconds(Int64.min), Int64.min + 5, Int64.max),
    ] as [(Int64, Duration, Int64, Int64)])
    func arithmetic(start: Int64, duration: Duration, sum: Int64, difference: Int64) {
        #expect((UnixTime(milliseconds: start) + duration).milliseconds == sum)
        #expect((UnixTime(milliseconds: start) - duration).milliseconds == difference)
    }

    @Test("the difference of two times is exact, even across the whole range")
    func difference() {
        #expect(UnixTime(milliseconds: 2_500) - UnixTime(milliseconds: 1_000) == .milliseconds(1_500))
        #expect(UnixTime(milliseconds: 1_000) - UnixTime(milliseconds: 2_500) == .milliseconds(-1_500))
        let whole = UnixTime(milliseconds: .max) - UnixTime(milliseconds: .min)
        #expect(whole == .milliseconds(Int64.max) + .milliseconds(Int64.max) + .milliseconds(1))
        #expect(UnixTime(milliseconds: .min) - UnixTime(milliseconds: .max) == .zero - whole)
    }

    @Test("times order by their milliseconds")
    func order() {
        #expect(UnixTime(milliseconds: -1) < UnixTime(milliseconds: 0))
        #expect(UnixTime(seconds: 1) == UnixTime(milliseconds: 1_000))
        #expect(max(UnixTime(milliseconds: 3), UnixTime(milliseconds: 7)) == UnixTime(milliseconds: 7))
    }

    @Test("the system clock reads the wall clock, and a deadline passed returns at once")
    func systemClock() async throws {
        let clock = SystemClock()
        let now = clock.now
        // After 2026-09-21, and not yet near the end of the range.
        #expect(now.seconds > 1_790_000_000 && now.seconds < 100_000_000_000)
        try await clock.sleep(until: now - .seconds(1))
        try await clock.sleep(until: clock.now + .milliseconds(2))
        #expect(clock.now > now)
    }
}
