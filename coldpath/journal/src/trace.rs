//! W3C trace context across the asynchronous hops of a command: the request's span context
//! rides with its decision into the journal, is stored beside every outbox row the decision
//! writes (`traceparent`), and continues in the relay and in each consumer — one trace from
//! the request to the last projection, however many processes and queues lie between.
//!
//! The text form is the W3C `traceparent` header (`00-<trace id>-<span id>-<flags>`); an empty
//! string means "no trace", which is what every span gives when no exporter is configured, so
//! nothing downstream creates spans for an untraced command.

use std::collections::HashMap;

use opentelemetry::propagation::TextMapPropagator;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The header (and Kafka header, and gRPC metadata key) that carries the context.
pub const TRACEPARENT: &str = "traceparent";

/// The `traceparent` of `span`; empty when it is not recorded by a tracer.
pub fn traceparent_of(span: &tracing::Span) -> String {
    let mut carrier = HashMap::new();
    TraceContextPropagator::new().inject_context(&span.context(), &mut carrier);
    carrier.remove(TRACEPARENT).unwrap_or_default()
}

/// The `traceparent` of the current span; empty when it is not recorded by a tracer.
pub fn current() -> String {
    traceparent_of(&tracing::Span::current())
}

/// Makes `span` a child of the remote span `traceparent` names. An empty or malformed value
/// leaves `span` where it is (a root, or the child of the current span).
pub fn follow(span: &tracing::Span, traceparent: &str) {
    if traceparent.is_empty() {
        return;
    }
    let carrier = HashMap::from([(TRACEPARENT.to_owned(), traceparent.to_owned())]);
    let parent = TraceContextPropagator::new().extract(&carrier);
    if opentelemetry::trace::TraceContextExt::has_active_span(&parent) {
        // Fails only when no tracer records the span; then there is nothing to follow.
        let _ = span.set_parent(parent);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_tracer_spans_carry_no_context_and_following_is_harmless() {
        let span = tracing::info_span!("untraced");
        assert_eq!(traceparent_of(&span), "");
        follow(
            &span,
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        );
        follow(&span, "not a traceparent");
        assert_eq!(current(), "");
    }

    #[test]
    fn a_followed_span_continues_the_remote_trace_and_hands_it_on() {
        use opentelemetry::trace::TracerProvider as _;
        use tracing_subscriber::layer::SubscriberExt;

        let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
        let subscriber = tracing_subscriber::registry()
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
        tracing::subscriber::with_default(subscriber, || {
            let remote = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
            let span = tracing::info_span!("relay.publish");
            follow(&span, remote);
            let own = traceparent_of(&span);
            let parts: Vec<&str> = own.split('-').collect();
            assert_eq!(parts.len(), 4, "{own}");
            assert_eq!(parts[1], "0af7651916cd43dd8448eb211c80319c", "same trace");
            assert_ne!(parts[2], "b7ad6b7169203331", "its own span id");
            assert_eq!(parts[3], "01", "sampled, as the caller decided");
            // A child inherits the trace through the current span.
            let child = span.in_scope(current);
            assert!(
                child.contains("0af7651916cd43dd8448eb211c80319c"),
                "{child}"
            );
            // A root span starts a trace of its own.
            let root = tracing::info_span!("root");
            follow(&root, "");
            assert!(!traceparent_of(&root).contains("0af7651916cd43dd8448eb211c80319c"));
        });
    }
}
