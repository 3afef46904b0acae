import Foundation
import ProcessMonitor

/// SplitMix64: a tiny seeded generator, so property-style loops are reproducible.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Heartbeats and labels shared by the JSON Lines, logfmt and sample tests.
enum MachineFixtures {
    /// 2024-05-01T12:00:00.123Z, a whole millisecond.
    static let timestamp = Date(timeIntervalSince1970: 1_714_564_800.123)

    /// Labels that break naive writers: quoting, escaping, line breaks, Unicode.
    static let labelCorpus: [String] = [
        "",
        "plain",
        "with space",
        "quote\"inside",
        "back\\slash",
        "trailing backslash\\",
        "new\nline",
        "cr\rand\ttab",
        "\u{0}\u{1}\u{8}\u{C}\u{1B}\u{1F}",
        "del\u{7F}char",
        "C1 \u{85} next line",
        "emoji 🚀🧪 family 👨‍👩‍👧",
        "e\u{301} combining",
        "line\u{2028}sep\u{2029}para",
        "null",
        "a=b",
        "it's",
        "replacement \u{FFFD} char",
        "ThreadId(3)/x",
        "{\"json\": [1, 2]}",
        "日本語のラベル",
        "=",
        "\"",
        "\\",
        " ",
        "slash/and\\u0041 text",
    ]

    /// A busy heartbeat: two stalls, eight phases, progress of every kind.
    /// Five attributes of control characters: each escapes to several times its size.
    static let worstCaseAttributes: [String: String] = Dictionary(
        uniqueKeysWithValues: (0 ..< 5).map { ("k\($0)", "\u{1}\u{2}") }
    )

    /// Every figure at its largest, every label 5,000 control characters (six bytes each once
    /// escaped), one of each list element: what a line limit must still hold.
    static func worstCase() -> Heartbeat {
        let nasty = String(repeating: "\u{1}", count: 5000)
        let progress = ProgressReading(current: .max, total: .max, elapsed: .milliseconds(1))
        var heartbeat = busy()
        heartbeat.sequence = .max
        heartbeat.processID = .max
        heartbeat.elapsed = .milliseconds(Int64.max)
        heartbeat.resources = ResourceUsage(
            rssBytes: .max, peakRSSBytes: .max, threads: .max, readBytes: .max, writeBytes: .max,
            memoryLimitBytes: .max, memoryUsageBytes: .max - 1, oomKills: .max, openFileDescriptors: .max,
            fileDescriptorLimit: .max
        )
        heartbeat.cpu = CPUUsage(coresBusy: 1.7976931348623157e308, availableCores: .greatestFiniteMagnitude,
                                 affinityCores: .max, quotaCores: 1.7976931348623157e308, window: .milliseconds(Int64.max))
        heartbeat.instrumentedLanes = .max
        heartbeat.active = Heartbeat.ActivePhase(lane: .thread(.max, name: nasty), label: nasty, age: .milliseconds(Int64.max),
                                       progress: progress)
        heartbeat.stalls = [Heartbeat.Stall(
            lane: .task(.max, name: nasty), label: nasty, age: .milliseconds(Int64.max), threshold: .milliseconds(Int64.max),
            progress: progress, depth: .max,
            stack: Array(repeating: Heartbeat.ScopeFrame(label: nasty, age: .milliseconds(Int64.max)), count: 64),
            thread: Heartbeat.ThreadActivity(state: .diskWait, threadID: .max, syscall: nasty, fileDescriptor: .max, target: nasty,
                                   waitChannel: nasty, cpuFraction: 1, cpuWindow: .milliseconds(Int64.max)),
            backtrace: Array(repeating: nasty, count: 64)
        )]
        heartbeat.forecasts = [Heartbeat.ResourceForecast(resource: .fileDescriptors, used: .max - 1, limit: .max,
                                                growthPerSecond: .greatestFiniteMagnitude, timeToLimit: .milliseconds(Int64.max),
                                                window: .milliseconds(Int64.max))]
        heartbeat.stallEnds = [Heartbeat.StallEnd(lane: .task(.max, name: nasty), label: nasty, duration: .milliseconds(Int64.max))]
        heartbeat.phases[0] = Heartbeat.Phase(lane: .thread(.max, name: nasty), depth: .max, label: nasty, age: .milliseconds(Int64.max),
                                    sinceLastChange: .milliseconds(Int64.max), progress: progress,
                                    parent: .task(.max, name: nasty), activeDescendants: .max)
        // Not quite the maximum: a decoder adds the phases a cut line leaves out to this count.
        heartbeat.omittedPhases = .max - 100
        heartbeat.stallThreshold = .milliseconds(Int64.max)
        return heartbeat
    }

    static func busy() -> Heartbeat {
        let phases = (0 ..< 8).map { index in
            Heartbeat.Phase(
                lane: index.isMultiple(of: 2) ? .thread(UInt64(index + 1), name: "worker-\(index)") : .task(UInt64(index + 1)),
                depth: index % 3 + 1,
                label: "phase \(index) \"step\"",
                age: .milliseconds(400_000 - index * 1000),
                sinceLastChange: .milliseconds(1_500 + index),
                progress: index == 0 ? ProgressReading(current: 250, total: 1000, elapsed: .seconds(10))
                    : (index == 1 ? ProgressReading(current: 17, total: 0, elapsed: .milliseconds(3_250)) : nil)
            )
        }
        return Heartbeat(
            sequence: 42,
            timestamp: timestamp,
            trigger: .scheduled,
            processID: 4242,
            elapsed: .milliseconds(3_725_004),
            resources: ResourceUsage(rssBytes: 536_870_912, peakRSSBytes: 1 << 30, threads: 12,
                                     readBytes: 4096, writeBytes: 0),
            cpu: CPUUsage(coresBusy: 1.9, availableCores: 2, window: .seconds(60)),
            instrumentedLanes: 9,
            active: Heartbeat.ActivePhase(lane: .thread(1, name: "main"), label: "BMS coord_corrections",
                                age: .milliseconds(400_000),
                                progress: ProgressReading(current: 250, total: 1000, elapsed: .seconds(10))),
            stalls: [
                Heartbeat.Stall(lane: .thread(1, name: "main"), label: "BMS coord_corrections", age: .milliseconds(400_000)),
                Heartbeat.Stall(lane: .task(2), label: "fetch \"shard\" 7", age: .milliseconds(399_000)),
            ],
            phases: phases,
            omittedPhases: 3,
            stallThreshold: .seconds(120)
        )
    }

    /// A job in a container: every v2 figure known, memory at 95 % of its limit, a task-group
    /// parent waiting on two children, and a stall that ended.
    static func contained() -> Heartbeat {
        var heartbeat = busy()
        heartbeat.resources.memoryLimitBytes = 256 << 20
        heartbeat.resources.memoryUsageBytes = 245 << 20
        heartbeat.resources.oomKills = 1
        heartbeat.resources.openFileDescriptors = 12
        heartbeat.resources.fileDescriptorLimit = 1024
        heartbeat.cpu = CPUUsage(coresBusy: 0.5, availableCores: 0.5, affinityCores: 2, quotaCores: 0.5, window: .seconds(60))
        heartbeat.phases[1].parent = .thread(1, name: "main")
        heartbeat.phases[0].activeDescendants = 2
        heartbeat.stallEnds = [Heartbeat.StallEnd(lane: .task(9), label: "flush \"cache\"", duration: .milliseconds(192_250))]
        return heartbeat
    }

    /// Every version 3 figure known: a contained job whose first stall says why (a counter that
    /// stopped, a thread blocked in `read` on a socket, its scope stack and a backtrace), a
    /// phase with a threshold of its own and one that never stalls, and a memory forecast.
    static func explained() -> Heartbeat {
        var heartbeat = contained()
        heartbeat.stalls[0] = Heartbeat.Stall(
            lane: .thread(1, name: "main"), label: "BMS coord_corrections", age: .milliseconds(400_000),
            threshold: .seconds(300),
            progress: ProgressReading(current: 250, total: 1000, elapsed: .seconds(400), sinceLastMove: .milliseconds(310_500)),
            depth: 2,
            stack: [Heartbeat.ScopeFrame(label: "run job", age: .milliseconds(3_700_000)),
                    Heartbeat.ScopeFrame(label: "BMS coord_corrections", age: .milliseconds(400_000))],
            thread: Heartbeat.ThreadActivity(state: .sleeping, threadID: 4711, syscall: "read", fileDescriptor: 7,
                                   target: "socket:[90210]", waitChannel: "sk_wait_data", cpuFraction: 0.125,
                                   cpuWindow: .seconds(60)),
            backtrace: ["read + 14 in libc.so.6", "Peer.receive() + 52 in job", "main + 10 in job"]
        )
        heartbeat.stalls[1].thread = .suspended
        heartbeat.stalls[1].stack = [Heartbeat.ScopeFrame(label: "fetch \"shard\" 7", age: .milliseconds(399_000))]
        heartbeat.active?.progress?.sinceLastMove = .milliseconds(1_500)
        heartbeat.phases[0].stallThreshold = .seconds(600)
        heartbeat.phases[0].progress?.sinceLastMove = .milliseconds(1_500)
        heartbeat.phases[2].stallThreshold = nil
        heartbeat.forecasts = [
            Heartbeat.ResourceForecast(resource: .memory, used: 245 << 20, limit: 256 << 20, growthPerSecond: 1234.5,
                             timeToLimit: .milliseconds(9_340_100), window: .seconds(600)),
        ]
        return heartbeat
    }

    /// Nothing instrumented and every resource unknown.
    static func idle() -> Heartbeat {
        Heartbeat(
            sequence: 1, timestamp: timestamp, trigger: .requested, processID: 7,
            elapsed: .milliseconds(5_000), resources: ResourceUsage(), cpu: CPUUsage(),
            instrumentedLanes: 0, active: nil, stalls: [], phases: [], omittedPhases: 0,
            stallThreshold: .seconds(120)
        )
    }

    /// A random label of at most 40 scalars (≤ 160 bytes, under the default cap), drawn from
    /// the corpus, ASCII (controls included), the BMP and the astral planes.
    static func randomLabel(using rng: inout SeededGenerator) -> String {
        if Int.random(in: 0 ..< 4, using: &rng) == 0 {
            return labelCorpus.randomElement(using: &rng)!
        }
        var scalars = String.UnicodeScalarView()
        for _ in 0 ..< Int.random(in: 0 ... 40, using: &rng) {
            let value: UInt32
            switch Int.random(in: 0 ..< 5, using: &rng) {
            case 0: value = UInt32.random(in: 0 ... 0x7F, using: &rng)
            case 1: value = UInt32.random(in: 0x20 ... 0x7E, using: &rng)
            case 2: value = UInt32.random(in: 0x80 ... 0xD7FF, using: &rng)
            case 3: value = UInt32.random(in: 0xE000 ... 0xFFFF, using: &rng)
            default: value = UInt32.random(in: 0x10000 ... 0x10FFFF, using: &rng)
            }
            scalars.append(Unicode.Scalar(value)!)
        }
        return String(scalars)
    }

    static func randomDuration(using rng: inout SeededGenerator) -> Duration {
        switch Int.random(in: 0 ..< 6, using: &rng) {
        case 0: .zero
        case 1: .milliseconds(Int64.random(in: 0 ..< 1000, using: &rng))
        case 2: .milliseconds(Int64.random(in: 0 ..< 86_400_000, using: &rng))
        case 3: .milliseconds(Int64.random(in: 0 ... Int64.max / 4, using: &rng))
        case 4: .milliseconds(Int64.max)
        default: .milliseconds(Int64.random(in: 0 ..< 10_000_000_000, using: &rng))
        }
    }

    static func randomUInt64(using rng: inout SeededGenerator) -> UInt64? {
        switch Int.random(in: 0 ..< 5, using: &rng) {
        case 0: nil
        case 1: 0
        case 2: .max
        default: UInt64.random(in: 0 ... UInt64.max >> UInt64.random(in: 0 ..< 64, using: &rng), using: &rng)
        }
    }

    static func randomLane(using rng: inout SeededGenerator) -> LaneID {
        let name: String? = Bool.random(using: &rng) ? randomLabel(using: &rng) : nil
        let number = UInt64.random(in: 1 ... (Bool.random(using: &rng) ? 64 : UInt64.max), using: &rng)
        return Bool.random(using: &rng) ? .thread(number, name: name) : .task(number, name: name)
    }

    static func randomProgress(using rng: inout SeededGenerator) -> ProgressReading? {
        switch Int.random(in: 0 ..< 3, using: &rng) {
        case 0: return nil
        case 1:
            return ProgressReading(current: randomUInt64(using: &rng) ?? 3, total: 0,
                                   elapsed: randomDuration(using: &rng))
        default:
            return ProgressReading(current: randomUInt64(using: &rng) ?? 0,
                                   total: (randomUInt64(using: &rng) ?? 1) | 1,
                                   elapsed: randomDuration(using: &rng))
        }
    }

    static func randomActivity(using rng: inout SeededGenerator) -> Heartbeat.ThreadActivity? {
        guard Int.random(in: 0 ..< 4, using: &rng) > 0 else { return nil }
        let state = Heartbeat.ThreadActivity.State.allCases.randomElement(using: &rng)!
        guard state != .suspended else { return .suspended }
        var activity = Heartbeat.ThreadActivity(state: state)
        if Bool.random(using: &rng) { activity.threadID = Int32.random(in: 0 ... .max, using: &rng) }
        if Bool.random(using: &rng) { activity.syscall = randomLabel(using: &rng) }
        if Bool.random(using: &rng) { activity.fileDescriptor = Int32.random(in: 0 ... .max, using: &rng) }
        if Bool.random(using: &rng) { activity.target = randomLabel(using: &rng) }
        if Bool.random(using: &rng) { activity.waitChannel = randomLabel(using: &rng) }
        if Bool.random(using: &rng) { activity.cpuFraction = Double.random(in: 0 ... 1, using: &rng) }
        if Bool.random(using: &rng) { activity.cpuWindow = randomDuration(using: &rng) }
        return activity
    }

    static func randomCores(using rng: inout SeededGenerator) -> Double? {
        switch Int.random(in: 0 ..< 4, using: &rng) {
        case 0: return nil
        case 1: return Double.random(in: 0 ... 256, using: &rng)
        case 2:
            // Any finite non-negative bit pattern: subnormals, huge values, 0.1-like decimals.
            let bits = UInt64.random(in: 0 ... 0x7FEF_FFFF_FFFF_FFFF, using: &rng)
            return Double(bitPattern: bits)
        default: return [0, 0.1, 1.9, 68.3, 1e-7, .leastNonzeroMagnitude, 1e300].randomElement(using: &rng)!
        }
    }

    /// A heartbeat whose every value the machine formats can carry exactly: durations and the
    /// timestamp in whole milliseconds, labels under the cap.
    static func randomHeartbeat(using rng: inout SeededGenerator) -> Heartbeat {
        let stalls = (0 ..< Int.random(in: 0 ... 3, using: &rng)).map { _ in
            Heartbeat.Stall(lane: randomLane(using: &rng), label: randomLabel(using: &rng), age: randomDuration(using: &rng),
                  threshold: randomDuration(using: &rng), progress: randomProgress(using: &rng),
                  depth: Int.random(in: 1 ... 70, using: &rng),
                  stack: (0 ..< Int.random(in: 0 ... 4, using: &rng)).map { _ in
                      Heartbeat.ScopeFrame(label: randomLabel(using: &rng), age: randomDuration(using: &rng))
                  },
                  thread: randomActivity(using: &rng),
                  backtrace: Bool.random(using: &rng) ? nil : (0 ..< Int.random(in: 0 ... 3, using: &rng)).map { _ in randomLabel(using: &rng) })
        }
        let phases = (0 ..< Int.random(in: 0 ... 8, using: &rng)).map { _ in
            Heartbeat.Phase(lane: randomLane(using: &rng), depth: Int.random(in: 1 ... 1000, using: &rng),
                  label: randomLabel(using: &rng), age: randomDuration(using: &rng),
                  sinceLastChange: randomDuration(using: &rng), progress: randomProgress(using: &rng))
        }
        let active: Heartbeat.ActivePhase? = Bool.random(using: &rng) ? nil : Heartbeat.ActivePhase(
            lane: randomLane(using: &rng), label: randomLabel(using: &rng),
            age: randomDuration(using: &rng), progress: randomProgress(using: &rng)
        )
        // Years 1 through 9999, in whole milliseconds.
        let milliseconds = Int64.random(in: -62_135_596_800_000 ... 253_402_300_799_999, using: &rng)
        return Heartbeat(
            sequence: max(1, randomUInt64(using: &rng) ?? 1),
            timestamp: Date(timeIntervalSince1970: Double(milliseconds) / 1000),
            trigger: Heartbeat.Trigger.allCases.randomElement(using: &rng)!,
            processID: Int32.random(in: 1 ... Int32.max, using: &rng),
            elapsed: randomDuration(using: &rng),
            resources: ResourceUsage(rssBytes: randomUInt64(using: &rng), peakRSSBytes: randomUInt64(using: &rng),
                                     threads: randomUInt64(using: &rng), readBytes: randomUInt64(using: &rng),
                                     writeBytes: randomUInt64(using: &rng), memoryLimitBytes: randomUInt64(using: &rng),
                                     memoryUsageBytes: randomUInt64(using: &rng), oomKills: randomUInt64(using: &rng),
                                     openFileDescriptors: randomUInt64(using: &rng),
                                     fileDescriptorLimit: randomUInt64(using: &rng)),
            cpu: CPUUsage(coresBusy: randomCores(using: &rng),
                          availableCores: Bool.random(using: &rng) ? nil : Double(Int.random(in: 1 ... 4096, using: &rng)),
                          affinityCores: Bool.random(using: &rng) ? nil : Int.random(in: 1 ... 4096, using: &rng),
                          quotaCores: Bool.random(using: &rng) ? nil : Double(Int.random(in: 1 ... 400, using: &rng)) / 8,
                          window: Bool.random(using: &rng) ? nil : randomDuration(using: &rng)),
            instrumentedLanes: Int.random(in: 0 ... 100_000, using: &rng),
            active: active,
            stalls: stalls,
            stallEnds: (0 ..< Int.random(in: 0 ... 2, using: &rng)).map { _ in
                Heartbeat.StallEnd(lane: randomLane(using: &rng), label: randomLabel(using: &rng), duration: randomDuration(using: &rng))
            },
            phases: phases,
            omittedPhases: Bool.random(using: &rng) ? 0 : Int.random(in: 1 ... 10_000, using: &rng),
            stallThreshold: randomDuration(using: &rng)
        )
    }
}
