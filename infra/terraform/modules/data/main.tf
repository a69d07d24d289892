# The data tier, in the data subnets only, everything encrypted with the platform key: MSK (the
# event log), RDS Postgres (the store: outbox, journal, read models), ElastiCache Redis (PRD
# §13.1's snapshot cache, provisioned for read scale-out; today's binary does not use it), and S3
# buckets for archives/exports/replay datasets and for access logs.

# ---------------------------------------------------------------------------------------------
# MSK

resource "aws_cloudwatch_log_group" "msk" {
  name              = "/orion/${var.name}/msk"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_msk_configuration" "this" {
  name           = var.name
  kafka_versions = [var.kafka_version]
  server_properties = join("\n", [
    "auto.create.topics.enable=false",
    "default.replication.factor=${min(3, var.msk_broker_count)}",
    "min.insync.replicas=${min(2, var.msk_broker_count)}",
    "unclean.leader.election.enable=false",
    "num.partitions=6",
  ])
}

resource "aws_msk_cluster" "this" {
  #checkov:skip=CKV_AWS_81:The image's Kafka client (rdkafka without its ssl feature) speaks plaintext; brokers sit in route-less data subnets reachable only from the core's security group. Set client_broker to TLS once the image enables TLS.
  cluster_name           = var.name
  kafka_version          = var.kafka_version
  number_of_broker_nodes = var.msk_broker_count

  broker_node_group_info {
    instance_type   = var.msk_instance_type
    client_subnets  = var.data_subnet_ids
    security_groups = [var.msk_security_group_id]
    storage_info {
      ebs_storage_info {
        volume_size = var.msk_volume_gb
      }
    }
  }

  configuration_info {
    arn      = aws_msk_configuration.this.arn
    revision = aws_msk_configuration.this.latest_revision
  }

  encryption_info {
    encryption_at_rest_kms_key_arn = var.kms_key_arn
    encryption_in_transit {
      client_broker = "TLS_PLAINTEXT"
      in_cluster    = true
    }
  }

  client_authentication {
    unauthenticated = true
    sasl {
      iam = true
    }
  }

  enhanced_monitoring = "PER_TOPIC_PER_PARTITION"

  open_monitoring {
    prometheus {
      jmx_exporter {
        enabled_in_broker = true
      }
      node_exporter {
        enabled_in_broker = true
      }
    }
  }

  logging_info {
    broker_logs {
      cloudwatch_logs {
        enabled   = true
        log_group = aws_cloudwatch_log_group.msk.name
      }
    }
  }
}

# ---------------------------------------------------------------------------------------------
# RDS Postgres

resource "aws_db_subnet_group" "this" {
  name       = var.name
  subnet_ids = var.data_subnet_ids
}

resource "aws_db_parameter_group" "this" {
  name   = var.name
  family = "postgres16"

  parameter {
    name  = "log_min_duration_statement"
    value = "250"
  }
  parameter {
    name  = "log_connections"
    value = "1"
  }
  parameter {
    name  = "log_disconnections"
    value = "1"
  }
}

resource "aws_iam_role" "rds_monitoring" {
  name = "${var.name}-rds-monitoring"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "monitoring.rds.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy_attachment" "rds_monitoring" {
  role       = aws_iam_role.rds_monitoring.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}

resource "aws_db_instance" "this" {
  #checkov:skip=CKV2_AWS_69:The image's Postgres client is built without TLS; the instance is reachable only from the core's security group inside route-less data subnets. Set rds.force_ssl once the image enables TLS.
  #checkov:skip=CKV2_AWS_30:Query logging is on through log_min_duration_statement and connection logs in the parameter group; statement-level pgaudit is not installed.
  identifier                          = var.name
  engine                              = "postgres"
  engine_version                      = var.postgres_version
  instance_class                      = var.rds_instance_class
  allocated_storage                   = var.rds_storage_gb
  max_allocated_storage               = var.rds_storage_gb * 4
  storage_type                        = "gp3"
  storage_encrypted                   = true
  kms_key_id                          = var.kms_key_arn
  db_name                             = "orion"
  username                            = "orion"
  password                            = var.db_password
  db_subnet_group_name                = aws_db_subnet_group.this.name
  parameter_group_name                = aws_db_parameter_group.this.name
  vpc_security_group_ids              = [var.rds_security_group_id]
  publicly_accessible                 = false
  multi_az                            = var.rds_multi_az
  backup_retention_period             = var.rds_backup_days
  deletion_protection                 = var.deletion_protection
  skip_final_snapshot                 = !var.deletion_protection
  final_snapshot_identifier           = var.deletion_protection ? "${var.name}-final" : null
  copy_tags_to_snapshot               = true
  auto_minor_version_upgrade          = true
  iam_database_authentication_enabled = true
  enabled_cloudwatch_logs_exports     = ["postgresql", "upgrade"]
  performance_insights_enabled        = true
  performance_insights_kms_key_id     = var.kms_key_arn
  monitoring_interval                 = 30
  monitoring_role_arn                 = aws_iam_role.rds_monitoring.arn
}

resource "aws_secretsmanager_secret_version" "database_url" {
  secret_id     = var.database_url_secret_id
  secret_string = "postgres://orion:${var.db_password}@${aws_db_instance.this.endpoint}/orion"
}

# ---------------------------------------------------------------------------------------------
# ElastiCache Redis

resource "aws_elasticache_subnet_group" "this" {
  name       = var.name
  subnet_ids = var.data_subnet_ids
}

resource "aws_elasticache_replication_group" "this" {
  #checkov:skip=CKV2_AWS_50:Multi-AZ failover is on whenever redis_replicas > 0 (staging); dev runs a single node on purpose.
  replication_group_id       = var.name
  description                = "${var.name}: snapshot cache"
  engine                     = "redis"
  engine_version             = "7.1"
  node_type                  = var.redis_node_type
  num_cache_clusters         = var.redis_replicas + 1
  automatic_failover_enabled = var.redis_replicas > 0
  multi_az_enabled           = var.redis_replicas > 0
  subnet_group_name          = aws_elasticache_subnet_group.this.name
  security_group_ids         = [var.redis_security_group_id]
  at_rest_encryption_enabled = true
  kms_key_id                 = var.kms_key_arn
  transit_encryption_enabled = true
  auth_token                 = var.redis_auth_token
  snapshot_retention_limit   = 3
  auto_minor_version_upgrade = true
}

# ---------------------------------------------------------------------------------------------
# S3: archives (events, exports, replay datasets) and access logs

resource "aws_s3_bucket" "logs" {
  #checkov:skip=CKV_AWS_144:Access logs are not replicated across regions; they are operational, retained 90 days.
  #checkov:skip=CKV_AWS_145:ALB access logging supports only SSE-S3 (AES256) on its target bucket.
  #checkov:skip=CKV_AWS_18:This is the access-log bucket itself; logging it into itself would loop.
  #checkov:skip=CKV2_AWS_62:Nothing reacts to new access-log objects.
  bucket        = "${var.name}-access-logs-${var.bucket_suffix}"
  force_destroy = !var.deletion_protection
}

resource "aws_s3_bucket" "archive" {
  #checkov:skip=CKV_AWS_144:Archives can be rebuilt from the event log; cross-region replication is a prod-demo decision, not dev/staging.
  #checkov:skip=CKV2_AWS_62:Nothing reacts to new archive objects; replay reads them on demand.
  bucket        = "${var.name}-archive-${var.bucket_suffix}"
  force_destroy = !var.deletion_protection
}

resource "aws_s3_bucket_logging" "archive" {
  bucket        = aws_s3_bucket.archive.id
  target_bucket = aws_s3_bucket.logs.id
  target_prefix = "s3/archive/"
}

resource "aws_s3_bucket_versioning" "this" {
  for_each = { logs = aws_s3_bucket.logs.id, archive = aws_s3_bucket.archive.id }
  bucket   = each.value
  versioning_configuration {
    status = "Enabled"
  }
}

# The archive is encrypted with the platform key. ALB access logs only support SSE-S3, so the
# log bucket uses it.
resource "aws_s3_bucket_server_side_encryption_configuration" "archive" {
  bucket = aws_s3_bucket.archive.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each                = { logs = aws_s3_bucket.logs.id, archive = aws_s3_bucket.archive.id }
  bucket                  = each.value
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_lifecycle_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id
  rule {
    id     = "expire"
    status = "Enabled"
    filter {}
    expiration {
      days = 90
    }
    noncurrent_version_expiration {
      noncurrent_days = 30
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "archive" {
  bucket = aws_s3_bucket.archive.id
  rule {
    id     = "tier"
    status = "Enabled"
    filter {}
    transition {
      days          = 30
      storage_class = "STANDARD_IA"
    }
    transition {
      days          = 180
      storage_class = "GLACIER"
    }
    noncurrent_version_expiration {
      noncurrent_days = 90
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

data "aws_elb_service_account" "this" {}

resource "aws_s3_bucket_policy" "logs" {
  bucket = aws_s3_bucket.logs.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AlbAccessLogs"
        Effect    = "Allow"
        Principal = { AWS = data.aws_elb_service_account.this.arn }
        Action    = "s3:PutObject"
        Resource  = "${aws_s3_bucket.logs.arn}/alb/*"
      },
      {
        Sid       = "TlsOnly"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.logs.arn, "${aws_s3_bucket.logs.arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  })
}

resource "aws_s3_bucket_policy" "archive" {
  bucket = aws_s3_bucket.archive.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "TlsOnly"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [aws_s3_bucket.archive.arn, "${aws_s3_bucket.archive.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })
}
