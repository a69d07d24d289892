output "url" {
  description = "Point the environment's DNS name (CNAME) here."
  value       = module.orion.url
}

output "alarm_topic_arn" {
  value = module.orion.alarm_topic_arn
}
