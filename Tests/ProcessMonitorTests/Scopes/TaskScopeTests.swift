import Foundation
import Testing

@testable import ProcessMonitor

@Suite struct TaskScopeTests {
    @Test func asyncScopeIsVisibleAndGone() async {
        let label = "async-\(UUID())"
        await withScope(label: label) {
            await Task.yield()
            let seen = lanes(labelled: label)
            #expect(seen.count == 1)
            #expect(seen.first?.id.kind == .task)
            #expect(seen.first?.depth == 1)
        }
        #expect(lanes(labelled: label).isEmpty)
    }

    @Test func nestedAsyncScopesShareTheTaskLane() async {
        let outer = "async-outer-\(UUID())"
        let inner = "async-inner-\(UUID())"
        await withScope(label: outer) {
            await withScope(label: inner, total: 5) { progress in
                progress.increment(by: 2)
                await Task.yield()
                let record = lanes(labelled: inner).first
                #expect(record?.depth == 2)
                #expect(record?.progress?.current == 2)
            }
        }
    }

    /// Hundreds of children that suspend inside their scopes and resume on whatever thread:
    /// each must stay on a lane of its own with its own label and depth.
    @Test func taskGroupChildrenGetTheirOwnLanes() async {
        let prefix = "child-\(UUID())-"
        let children = 300
        let gate = AsyncGate(count: children)
        await withScope(label: prefix + "parent") {
            await withTaskGroup(of: Bool.self) { group in
                for i in 0..<children {
                    group.addTask {
                        await withScope(label: prefix + "\(i)") {
                            await withScope("child-inner") {
                                await gate.arrive()
                                for _ in 0..<3 { await Task.yield() }
                                return true
                            }
                        }
                    }
                }
                await gate.waitForAll()
                // Every child is inside its two scopes now.
                let snapshot = Snapshotter().take()
                let inner = snapshot.lanes.filter { snapshot.resolve($0.label) == "child-inner" }
                #expect(inner.count >= children)
                #expect(inner.allSatisfy { $0.depth == 2 && $0.id.kind == .task })
                #expect(Set(inner.map(\.id)).count == inner.count, "distinct lanes")
                await gate.release()
                for await ok in group { #expect(ok) }
            }
            // The parent's own lane was never touched by its children.
            let parent = lanes(labelled: prefix + "parent")
            #expect(parent.count == 1)
            #expect(parent.first?.depth == 1)
        }
        #expect(openLanes().filter { $0.label.hasPrefix(prefix) }.isEmpty)
    }

    @Test func asyncLetChildDoesNotPushOntoItsParent() async {
        let parentLabel = "parent-\(UUID())"
        await withScope(label: parentLabel) {
            async let child: Int = withScope("async-let-child") {
                await Task.yield()
                return lanes(labelled: "async-let-child").filter { $0.depth == 1 }.count
            }
            let childLanes = await child
            #expect(childLanes >= 1)
            #expect(lanes(labelled: parentLabel).first?.depth == 1)
        }
    }

    @Test func unstructuredTaskInheritingTheBindingGetsItsOwnLane() async {
        let label = "unstructured-\(UUID())"
        await withScope(label: label) {
            let depth = await Task {
                await withScope("unstructured-inner") {
                    await Task.yield()
                    return lanes(labelled: "unstructured-inner").map(\.depth)
                }
            }.value
            #expect(depth.contains(1))
            #expect(lanes(labelled: label).first?.depth == 1)
        }
    }

    @Test func throwingAsyncScopeRethrowsTypedErrorAndEnds() async {
        struct Failure: Error, Equatable {}
        let label = "async-throw-\(UUID())"
        let result: Result<Int, Failure> = await {
            do throws(Failure) {
                return .success(try await withScope(label: label) { () async throws(Failure) -> Int in throw Failure() })
            } catch {
                return .failure(error)
            }
        }()
        #expect(result == .failure(Failure()))
        #expect(lanes(labelled: label).isEmpty)
    }
}
