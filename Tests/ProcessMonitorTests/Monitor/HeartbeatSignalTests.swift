import Foundation
import ProcessMonitorTesting
import Testing
import TestSupport

@testable import ProcessMonitor

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The current disposition of `signal`, as the raw handler value.
private func disposition(of signal: Int32) -> Int {
    var current = sigaction()
    sigaction(signal, nil, &current)
    #if os(Linux)
    return unsafeBitCast(current.__sigaction_handler.sa_handler, to: Int.self)
    #else
    return unsafeBitCast(current.__sigaction_u.__sa_handler, to: Int.self)
    #endif
}

private func setDisposition(of signal: Int32, to handler: (@convention(c) (Int32) -> Void)?) {
    var action = sigaction()
    #if os(Linux)
    action.__sigaction_handler.sa_handler = handler
    #else
    action.__sigaction_u.__sa_handler = handler
    #endif
    sigaction(signal, &action, nil)
}

/// Signal dispositions are process-wide: these tests run one at a time, on SIGUSR2, which
/// nothing else in the test process uses.
@Suite(.serialized) struct HeartbeatSignalTests {
    @Test func aSignalAsksForAHeartbeatAndCancelRestoresTheDisposition() throws {
        // Ignored before, so a signal still in flight after `cancel()` cannot end the process.
        setDisposition(of: SIGUSR2, to: SIG_IGN)
        let recorder = HeartbeatRecorder()
        let monitor = try ProcessMonitor(
            configuration: try MonitorConfiguration(interval: .seconds(3600)),
            observers: [recorder], clock: ManualMonitorClock(), sampler: FixedSampler()
        )
        monitor.reportWarnings(to: CapturedReports().append)
        try monitor.start()
        let onDemand = try monitor.emitOnSignal(SIGUSR2)
        #expect(onDemand.signal == SIGUSR2)
        // The source may not listen yet when the first signal arrives (it is ignored until
        // then), so signal again on each check until a heartbeat answers.
        #expect(waitUntil {
            kill(getpid(), SIGUSR2)
            return recorder.heartbeats.contains { $0.trigger == .requested }
        })
        onDemand.cancel()
        onDemand.cancel()
        #expect(disposition(of: SIGUSR2) == unsafeBitCast(SIG_IGN, to: Int.self), "the previous disposition is back")
        monitor.stop()
        #expect(recorder.heartbeats.last?.trigger == .final)
    }

    @Test func aSignalWithAHandlerOfItsOwnIsLeftAlone() throws {
        let handler: @convention(c) (Int32) -> Void = { _ in }
        setDisposition(of: SIGUSR2, to: handler)
        defer { setDisposition(of: SIGUSR2, to: SIG_IGN) }
        let monitor = try ProcessMonitor(configuration: try MonitorConfiguration(interval: .seconds(3600)), observers: [])
        #expect {
            try monitor.emitOnSignal(SIGUSR2)
        } throws: { error in
            (error as? MonitorError)?.field == "signal" && (error as? MonitorError)?.message.contains("already has a handler") == true
        }
        #expect(disposition(of: SIGUSR2) == unsafeBitCast(handler, to: Int.self), "the host's handler is untouched")
    }

    @Test(arguments: [SIGKILL, SIGSTOP, SIGSEGV, SIGPIPE, 0, -1, 65, Int32.max])
    func signalsThatCannotCarryRequestsAreRefused(signal: Int32) throws {
        let monitor = try ProcessMonitor(configuration: try MonitorConfiguration(interval: .seconds(3600)), observers: [])
        #expect {
            try monitor.emitOnSignal(signal)
        } throws: { error in
            (error as? MonitorError)?.field == "signal" && (error as? MonitorError)?.message.contains("\(signal)") == true
        }
    }
}
