import Dispatch
import Foundation
import ProcessMonitorTesting
import Synchronization
import Testing
import TestSupport

@testable import ProcessMonitor

/// Readable lane names: Dispatch's workers say what they are, and a name the user gave a
/// thread is shown whole.
@Suite struct LaneNamingTests {
    func name(_ comm: String, queue: String? = nil) -> String? {
        threadLaneName(isMain: false, comm: comm, queueLabel: queue, processName: "jobd")
    }

    @Test func dispatchWorkersAreNamedForTheirPool() {
        #expect(name("oot.default-qos") == "dispatch:default-qos")
        #expect(name("oot.utility-qos") == "dispatch:utility-qos")
        #expect(name("er-initiated-qos") == "er-initiated-qos", "16 bytes: not a kernel-cut name")
        #expect(name("r-initiated-qos") == "dispatch:user-initiated-qos")
        #expect(name("-qos.overcommit") == "dispatch:overcommit", "every overcommit pool ends alike")
        #expect(name("-qos.overcommit", queue: "com.apple.root.utility-qos.overcommit") == "dispatch:utility-qos.overcommit")
        #expect(name("jobd", queue: "com.apple.root.default-qos") == nil, "an unnamed thread: Dispatch names any thread's queue")
        #expect(name("", queue: nil) == nil)
        #expect(threadLaneName(isMain: true, comm: "jobd", queueLabel: nil, processName: "jobd") == "main")
    }

    @Test func aUsersThreadNameIsShown() {
        #expect(name("io") == "io")
        #expect(name("checkpoint-writ") == "checkpoint-writ")
    }

    @Test func realThreadsGetTheirNames() throws {
        let label = "naming probe \(UUID())"
        let seen = Mutex<[String]>([])
        let done = Atomic<Int>(0)
        Thread {
            // What `pthread_setname_np` does: a name of up to 15 bytes, kept by the OS.
            nameCurrentThreadForOS("io-reader")
            withScope(label: label) {
                seen.withLock { $0.append(contentsOf: LaneRegistry.shared.currentLaneNames()) }
            }
            done.add(1, ordering: .releasing)
        }.start()
        Thread {
            withScope(label: label) {
                // Named after its lane exists, longer than Linux keeps.
                nameCurrentThread("a-thread-with-a-long-name")
                seen.withLock { $0.append(contentsOf: LaneRegistry.shared.currentLaneNames()) }
            }
            done.add(1, ordering: .releasing)
        }.start()
        DispatchQueue.global(qos: .utility).async {
            withScope(label: label) {
                seen.withLock { $0.append(contentsOf: LaneRegistry.shared.currentLaneNames()) }
            }
            done.add(1, ordering: .releasing)
        }
        #expect(waitUntil { done.load(ordering: .acquiring) == 3 })
        let names = seen.withLock { $0 }
        #expect(names.contains("io-reader"))
        #expect(names.contains("a-thread-with-a-long-name"))
        #expect(names.contains { $0.hasPrefix("dispatch:") })
    }
}
