// The reader's own code that doc-comment examples call, declared once for
// .ci/check-doc-examples.sh so an example shows only the library's part.
import Foundation

func runJob() async throws {}
func runBatch() throws {}

struct Shard: Sendable { let id: Int }
struct Server: Sendable {
    func run() {}
    func run() async throws {}
}
struct Client: Sendable { func get(_ url: URL) async throws -> Data { Data() } }
struct Crawler: Sendable { func run() async throws -> [String] { [] } }

let url = URL(string: "https://example.com/data")!
let shards = [Shard(id: 0), Shard(id: 1)]
let docs = ["a", "b"]
let batches = [[1], [2]]
let batch = [1, 2, 3]
let files = ["a.bin", "b.bin"]
let rows = [1, 2, 3]
let n = 1
let id = 7
let count = 100
let stream = AsyncStream<Int> { $0.finish() }
let server = Server()
let client = Client()
let crawler = Crawler()

func loadModel(from url: URL) throws -> Int { 0 }
func process(_ shard: Shard) {}
func fetch(_ shard: Shard) async throws {}
func index(_ doc: String) {}
func train(_ batch: [Int]) {}
func replicate() {}
func consume() async throws {}
func upload(_ file: String) async throws {}
func score(_ row: Int) {}
func checkpoint() {}
func warmCaches() {}
func waitForApproval() {}
func save(_ chunk: [UInt8]) {}
let expectedBytes = 1 << 20
let chunks: [[UInt8]] = [[1, 2], [3]]
let configuredSeconds = 90

/// Stands in for swift-log's `Logger` (the Examples package uses the real one), so an example
/// can show a sink or a diagnostics hook handing lines to a logger.
struct Logger: Sendable {
    enum Level: Sendable { case info, warning }
    let label: String
    init(label: String) { self.label = label }
    func log(level: Level, _ message: String) {}
    func info(_ message: String) {}
    func warning(_ message: String) {}
}
let logLine = #"{"seq": 1}"#
