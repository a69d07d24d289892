output "kafka_bootstrap_brokers" {
  description = "ORION_KAFKA_BROKERS for the core."
  value       = aws_msk_cluster.this.bootstrap_brokers
}

output "msk_cluster_arn" {
  value = aws_msk_cluster.this.arn
}

output "rds_endpoint" {
  value = aws_db_instance.this.endpoint
}

output "rds_identifier" {
  value = aws_db_instance.this.identifier
}

output "redis_endpoint" {
  value = aws_elasticache_replication_group.this.primary_endpoint_address
}

output "archive_bucket" {
  value = aws_s3_bucket.archive.bucket
}

output "logs_bucket" {
  value = aws_s3_bucket.logs.bucket
}
