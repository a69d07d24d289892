output "url" {
  description = "Point the environment's DNS name (CNAME) here."
  value       = module.compute.alb_dns_name
}

output "alarm_topic_arn" {
  value = module.observability.alarm_topic_arn
}
