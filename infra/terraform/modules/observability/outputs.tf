output "log_groups" {
  value = { for role, group in aws_cloudwatch_log_group.service : role => group.name }
}

output "alarm_topic_arn" {
  value = aws_sns_topic.alarms.arn
}
