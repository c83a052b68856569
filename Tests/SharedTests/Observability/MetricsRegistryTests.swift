import Foundation
import Testing
@testable import Shared

@Suite struct MetricsRegistryTests {
    @Test func exportsExactPrometheusTextSortedByNameAndLabels() {
        let registry = MetricsRegistry()
        registry.counter("http_requests_total", help: "HTTP requests.", labels: ["route": "/b", "status": "200"]).increment(by: 2)
        registry.counter("http_requests_total", help: "HTTP requests.", labels: ["status": "200", "route": "/a"]).increment()
        registry.gauge("open_connections", help: "Open connections.").set(3)
        let histogram = registry.histogram("latency_seconds", help: "Latency.", labels: ["route": "/a"], buckets: [0.1, 1, 0.5])
        histogram.observe(0.05)
        histogram.observe(0.5)
        histogram.observe(7)
        let expected = """
        # HELP http_requests_total HTTP requests.
        # TYPE http_requests_total counter
        http_requests_total{route="/a",status="200"} 1
        http_requests_total{route="/b",status="200"} 2
        # HELP latency_seconds Latency.
        # TYPE latency_seconds histogram
        latency_seconds_bucket{route="/a",le="0.1"} 1
        latency_seconds_bucket{route="/a",le="0.5"} 2
        latency_seconds_bucket{route="/a",le="1"} 2
        latency_seconds_bucket{route="/a",le="+Inf"} 3
        latency_seconds_sum{route="/a"} 7.55
        latency_seconds_count{route="/a"} 3
        # HELP open_connections Open connections.
        # TYPE open_connections gauge
        open_connections 3

        """
        #expect(registry.prometheusText() == expected)
        #expect(registry.prometheusText() == registry.prometheusText())
    }

    @Test func escapesLabelValuesAndHelpText() {
        let registry = MetricsRegistry()
        registry.counter("odd_total", help: "back\\slash\nnew \"line\"", labels: ["path": "a\\b\"c\nd"]).increment()
        #expect(registry.prometheusText() == """
        # HELP odd_total back\\\\slash\\nnew "line"
        # TYPE odd_total counter
        odd_total{path="a\\\\b\\"c\\nd"} 1

        """)
    }

    @Test func sameNameAndLabelsReturnTheSameSeries() {
        let registry = MetricsRegistry()
        let a = registry.counter("x_total", help: "x", labels: ["k": "v"])
        let b = registry.counter("x_total", help: "x", labels: ["k": "v"])
        let c = registry.counter("x_total", help: "x", labels: ["k": "w"])
        #expect(a === b)
        #expect(a !== c)
    }

    @Test func gaugesMoveBothWaysAndPrintFractions() {
        let registry = MetricsRegistry()
        let gauge = registry.gauge("pool_in_use", help: "In use.")
        gauge.increment()
        gauge.increment(by: 2.5)
        gauge.decrement()
        #expect(gauge.current == 2.5)
        #expect(registry.prometheusText().hasSuffix("pool_in_use 2.5\n"))
        gauge.set(-.infinity)
        #expect(registry.prometheusText().hasSuffix("pool_in_use -Inf\n"))
    }

    @Test func concurrentUpdatesAreNotLost() async {
        let registry = MetricsRegistry()
        let counter = registry.counter("hits_total", help: "Hits.")
        let gauge = registry.gauge("level", help: "Level.")
        let histogram = registry.histogram("sizes", help: "Sizes.", buckets: [1, 10])
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for i in 0..<10_000 {
                        counter.increment()
                        gauge.increment()
                        histogram.observe(Double((i + task) % 20))
                        // Registering concurrently with updates must hand back the same series.
                        if i % 1000 == 0 { registry.counter("hits_total", help: "Hits.").increment(by: 0) }
                    }
                }
            }
        }
        #expect(counter.current == 80_000)
        #expect(gauge.current == 80_000)
        #expect(histogram.count == 80_000)
        #expect(registry.prometheusText().contains("sizes_bucket{le=\"+Inf\"} 80000\n"))
        #expect(registry.prometheusText().contains("sizes_count 80000\n"))
    }

    @Test func metricNamesAndLabelNamesAreValidated() {
        #expect(PrometheusText.isValidMetricName("http_requests_total"))
        #expect(PrometheusText.isValidMetricName("a:b_c"))
        #expect(!PrometheusText.isValidMetricName("1abc"))
        #expect(!PrometheusText.isValidMetricName("a-b"))
        #expect(!PrometheusText.isValidMetricName(""))
        #expect(PrometheusText.isValidLabelName("route"))
        #expect(!PrometheusText.isValidLabelName("__reserved"))
        #expect(!PrometheusText.isValidLabelName("a:b"))
    }
}
