import ProcessMonitor
import Tracing

// A span says what a request did, after the fact, to a tracing backend; a scope says what the
// process is doing now, to the person tailing its heartbeats. `withTracedScope` opens both under
// one name, so every span in flight shows in the heartbeat as the phase of its task (the
// innermost span of each task or thread; the outer ones count in its `depth`).

/// Runs `operation` inside a span (from the bootstrapped `InstrumentationSystem.tracer`) and a
/// scope on the current task's lane, both named `name`.
///
/// The span becomes the task's current span, so spans started inside are its children; the
/// scope nests the same way. Child tasks get lanes of their own, so concurrent spans show as
/// separate phases.
///
/// ```swift
/// try await withTracedScope("handle request") { span in
///     span.attributes["user.id"] = user.id
///     try await withTracedScope("load profile") { _ in try await db.load(user) }
/// }
/// ```
public func withTracedScope<T>(
    _ name: String,
    ofKind kind: SpanKind = .internal,
    isolation: isolated (any Actor)? = #isolation,
    function: String = #function,
    file fileID: String = #fileID,
    line: UInt = #line,
    _ operation: (any Span) async throws -> T
) async rethrows -> T {
    try await withSpan(name, ofKind: kind, isolation: isolation, function: function, file: fileID, line: line) { span in
        try await withScope(label: name) {
            try await operation(span)
        }
    }
}

/// Like the global `withTracedScope`, with a tracer of your choice (an `InMemoryTracer` in a
/// test, say) instead of the bootstrapped one.
///
/// ```swift
/// let tracer = InMemoryTracer()
/// await withTracedScope("step", tracer: tracer) { span in await step() }
/// ```
public func withTracedScope<T, Traced: Tracer>(
    _ name: String,
    tracer: Traced,
    ofKind kind: SpanKind = .internal,
    isolation: isolated (any Actor)? = #isolation,
    function: String = #function,
    file fileID: String = #fileID,
    line: UInt = #line,
    _ operation: (Traced.Span) async throws -> T
) async rethrows -> T {
    try await tracer.withSpan(name, ofKind: kind, isolation: isolation, function: function, file: fileID, line: line) { span in
        try await withScope(label: name) {
            try await operation(span)
        }
    }
}

/// The synchronous form: the span and a scope on the current thread's lane.
///
/// ```swift
/// let rows = try withTracedScope("parse batch") { _ in try parse(data) }
/// ```
public func withTracedScope<T>(
    _ name: String,
    ofKind kind: SpanKind = .internal,
    function: String = #function,
    file fileID: String = #fileID,
    line: UInt = #line,
    _ operation: (any Span) throws -> T
) rethrows -> T {
    try withSpan(name, ofKind: kind, function: function, file: fileID, line: line) { span in
        try withScope(label: name) {
            try operation(span)
        }
    }
}
