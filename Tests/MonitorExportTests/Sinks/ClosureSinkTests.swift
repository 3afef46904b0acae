import Dispatch
import Foundation
@testable import MonitorExport
import ProcessMonitor
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct ClosureSinkTests {
    @Test func deliversEveryLineInOrderUntilClosed() {
        let received = LockedValue<[RenderedLine]>([])
        let sink = ClosureSink { line in received.withLock { $0.append(line) } }
        let lines = [line("one"), RenderedLine(text: "two", level: .warning), line("three")]
        for rendered in lines { sink.write(rendered) }
        #expect(received.withLock { $0 } == lines)
        #expect(sink.droppedRecords == 0)

        sink.close()
        sink.close()
        sink.write(line("after close"))
        #expect(received.withLock { $0 } == lines)
        #expect(sink.droppedRecords == 1)
    }
}
