import Synchronization

/// Holds every metric of a process and renders them in the Prometheus text format 0.0.4.
///
/// Registering returns the metric object to keep and update (atomics, no lock); asking again
/// for the same name and labels returns the same object. A name reused with another type,
/// help text or buckets is a programming error and traps.
public final class MetricsRegistry: Sendable {
    enum Kind: String { case counter, gauge, histogram }

    enum Child {
        case counter(Counter)
        case gauge(Gauge)
        case histogram(Histogram)
    }

    struct Family {
        let name: String
        let help: String
        let kind: Kind
        let buckets: [Double]?
        /// Keyed by the rendered label set (`a="x",b="y"`, sorted by label name).
        var children: [String: Child] = [:]
    }

    private let families = Mutex<[String: Family]>([:])

    public init() {}

    public func counter(_ name: String, help: String, labels: [String: String] = [:]) -> Counter {
        let child = register(name, help: help, kind: .counter, buckets: nil, labels: labels) { .counter(Counter()) }
        guard case .counter(let counter) = child else { preconditionFailure("unreachable") }
        return counter
    }

    public func gauge(_ name: String, help: String, labels: [String: String] = [:]) -> Gauge {
        let child = register(name, help: help, kind: .gauge, buckets: nil, labels: labels) { .gauge(Gauge()) }
        guard case .gauge(let gauge) = child else { preconditionFailure("unreachable") }
        return gauge
    }

    /// - Parameter buckets: upper bounds; sorted and de-duplicated, `+Inf` is always added.
    public func histogram(_ name: String, help: String, labels: [String: String] = [:],
                          buckets: [Double] = Histogram.defaultBuckets) -> Histogram {
        let bounds = Array(Set(buckets.filter { $0.isFinite })).sorted()
        precondition(!bounds.isEmpty, "histogram \(name) needs at least one finite bucket")
        precondition(labels["le"] == nil, "histogram \(name) may not use the label le")
        let child = register(name, help: help, kind: .histogram, buckets: bounds, labels: labels) {
            .histogram(Histogram(upperBounds: bounds))
        }
        guard case .histogram(let histogram) = child else { preconditionFailure("unreachable") }
        return histogram
    }

    private func register(_ name: String, help: String, kind: Kind, buckets: [Double]?,
                          labels: [String: String], make: () -> Child) -> Child {
        precondition(PrometheusText.isValidMetricName(name), "invalid metric name \(name)")
        for key in labels.keys {
            precondition(PrometheusText.isValidLabelName(key), "invalid label name \(key) on \(name)")
        }
        let key = PrometheusText.renderLabels(labels)
        return families.withLock { families in
            var family = families[name] ?? Family(name: name, help: help, kind: kind, buckets: buckets)
            precondition(family.kind == kind, "metric \(name) registered as \(family.kind), asked as \(kind)")
            precondition(family.help == help, "metric \(name) registered with another help text")
            precondition(family.buckets == buckets, "histogram \(name) registered with other buckets")
            if let existing = family.children[key] { return existing }
            let child = make()
            family.children[key] = child
            families[name] = family
            return child
        }
    }

    /// The whole registry in the Prometheus text exposition format 0.0.4, families sorted by
    /// name and series by labels, so two scrapes of the same state are byte-identical.
    public func prometheusText() -> String {
        let snapshot = families.withLock { $0 }
        var out = ""
        for name in snapshot.keys.sorted() {
            PrometheusText.appendFamily(snapshot[name]!, to: &out)
        }
        return out
    }

    /// `Content-Type` of `prometheusText()`.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"
}
