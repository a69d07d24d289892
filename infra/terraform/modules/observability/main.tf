# Observability on AWS: the log groups the tasks write their JSON lines to (encrypted, retained),
# an encrypted SNS topic for alarms, and CloudWatch alarms for what pages the on-call engineer
# when Prometheus itself is not the thing to ask: the load balancer's 5xx rate, unhealthy BFF
# targets, the core not running, RDS storage and CPU, MSK disk. The application-level alerts
# (consumer lag, DLQ growth, p99 command latency, stale feeds, store down) are the Prometheus
# rules in infra/observability/.

resource "aws_cloudwatch_log_group" "service" {
  for_each          = toset(["core", "bff"])
  name              = "/orion/${var.name}/${each.value}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_sns_topic" "alarms" {
  name              = "${var.name}-alarms"
  kms_master_key_id = var.kms_key_arn
}

resource "aws_sns_topic_subscription" "email" {
  for_each  = toset(var.alarm_emails)
  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = each.value
}

locals {
  actions = [aws_sns_topic.alarms.arn]
}

resource "aws_cloudwatch_metric_alarm" "alb_5xx_rate" {
  alarm_name          = "${var.name}-alb-5xx-rate"
  alarm_description   = "More than 1% of requests answered 5xx for 5 minutes (runbook: docs/runbooks/incident.md)"
  comparison_operator = "GreaterThanThreshold"
  threshold           = 1
  evaluation_periods  = 5
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions

  metric_query {
    id          = "rate"
    expression  = "100 * errors / MAX([requests, 1])"
    label       = "5xx %"
    return_data = true
  }
  metric_query {
    id = "errors"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_Target_5XX_Count"
      period      = 60
      stat        = "Sum"
      dimensions  = { LoadBalancer = var.alb_arn_suffix }
    }
  }
  metric_query {
    id = "requests"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "RequestCount"
      period      = 60
      stat        = "Sum"
      dimensions  = { LoadBalancer = var.alb_arn_suffix }
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "bff_unhealthy" {
  alarm_name          = "${var.name}-bff-unhealthy-targets"
  alarm_description   = "A BFF replica fails /readyz (core unreachable or the replica is stuck)"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "UnHealthyHostCount"
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  dimensions = {
    LoadBalancer = var.alb_arn_suffix
    TargetGroup  = var.bff_target_group_arn_suffix
  }
  alarm_actions = local.actions
  ok_actions    = local.actions
}

resource "aws_cloudwatch_metric_alarm" "core_down" {
  alarm_name          = "${var.name}-core-not-running"
  alarm_description   = "No core task runs: commands answer 503 on every replica"
  namespace           = "ECS/ContainerInsights"
  metric_name         = "RunningTaskCount"
  statistic           = "Minimum"
  period              = 60
  evaluation_periods  = 2
  comparison_operator = "LessThanThreshold"
  threshold           = 1
  treat_missing_data  = "breaching"
  dimensions = {
    ClusterName = var.cluster_name
    ServiceName = var.service_names.core
  }
  alarm_actions = local.actions
  ok_actions    = local.actions
}

resource "aws_cloudwatch_metric_alarm" "rds_storage" {
  alarm_name          = "${var.name}-rds-free-storage"
  alarm_description   = "RDS has under 10 GiB free: the outbox and journal stop accepting commits when it fills"
  namespace           = "AWS/RDS"
  metric_name         = "FreeStorageSpace"
  statistic           = "Minimum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "LessThanThreshold"
  threshold           = 10 * 1024 * 1024 * 1024
  dimensions          = { DBInstanceIdentifier = var.rds_identifier }
  alarm_actions       = local.actions
  ok_actions          = local.actions
}

resource "aws_cloudwatch_metric_alarm" "rds_cpu" {
  alarm_name          = "${var.name}-rds-cpu"
  alarm_description   = "RDS CPU above 80% for 10 minutes: group commits slow down"
  namespace           = "AWS/RDS"
  metric_name         = "CPUUtilization"
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 2
  comparison_operator = "GreaterThanThreshold"
  threshold           = 80
  dimensions          = { DBInstanceIdentifier = var.rds_identifier }
  alarm_actions       = local.actions
  ok_actions          = local.actions
}

resource "aws_cloudwatch_metric_alarm" "msk_disk" {
  alarm_name          = "${var.name}-msk-disk"
  alarm_description   = "An MSK broker's data volume is over 80% full"
  namespace           = "AWS/Kafka"
  metric_name         = "KafkaDataLogsDiskUsed"
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 80
  dimensions          = { "Cluster Name" = var.msk_cluster_name }
  alarm_actions       = local.actions
  ok_actions          = local.actions
}
