variable "name" {
  description = "Prefix of every resource name, e.g. orion-dev."
  type        = string
}

variable "data_subnet_ids" {
  type = list(string)
}

variable "kms_key_arn" {
  type = string
}

variable "msk_security_group_id" {
  type = string
}

variable "rds_security_group_id" {
  type = string
}

variable "redis_security_group_id" {
  type = string
}

variable "database_url_secret_id" {
  description = "The secret that receives ORION_DATABASE_URL once RDS has an endpoint."
  type        = string
}

variable "db_password" {
  type      = string
  sensitive = true
}

variable "redis_auth_token" {
  type      = string
  sensitive = true
}

variable "kafka_version" {
  type    = string
  default = "3.6.0"
}

variable "msk_broker_count" {
  description = "Brokers, a multiple of the number of data subnets."
  type        = number
  default     = 2
}

variable "msk_instance_type" {
  type    = string
  default = "kafka.t3.small"
}

variable "msk_volume_gb" {
  type    = number
  default = 100
}

variable "postgres_version" {
  type    = string
  default = "16.4"
}

variable "rds_instance_class" {
  type    = string
  default = "db.t4g.medium"
}

variable "rds_storage_gb" {
  type    = number
  default = 50
}

variable "rds_multi_az" {
  type    = bool
  default = false
}

variable "rds_backup_days" {
  description = "Point-in-time recovery window (PRD §12.3: RPO < 5 minutes with the event log)."
  type        = number
  default     = 7
}

variable "redis_node_type" {
  type    = string
  default = "cache.t4g.small"
}

variable "redis_replicas" {
  type    = number
  default = 1
}

variable "deletion_protection" {
  description = "Protect RDS and keep buckets on destroy (staging); off for throwaway dev stacks."
  type        = bool
  default     = true
}

variable "bucket_suffix" {
  description = "Makes bucket names globally unique, e.g. the account id."
  type        = string
}

variable "log_retention_days" {
  type    = number
  default = 365
}
