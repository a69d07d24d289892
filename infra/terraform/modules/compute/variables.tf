variable "name" {
  description = "Prefix of every resource name, e.g. orion-dev."
  type        = string
}

variable "vpc_id" {
  type = string
}

variable "public_subnet_ids" {
  type = list(string)
}

variable "private_subnet_ids" {
  type = list(string)
}

variable "security_group_ids" {
  description = "From the security module: alb, bff, core."
  type        = map(string)
}

variable "execution_role_arn" {
  type = string
}

variable "task_role_arns" {
  description = "From the security module: core, bff."
  type        = map(string)
}

variable "secret_arns" {
  description = "From the security module: jwt, internal, database_url."
  type        = map(string)
}

variable "log_groups" {
  description = "From the observability module: core, bff."
  type        = map(string)
}

variable "image_repository" {
  description = "ECR repository of the orion image (infra/container/Dockerfile)."
  type        = string
}

variable "image_tag" {
  type = string
}

variable "topic_prefix" {
  description = "ORION_ENV."
  type        = string
}

variable "kafka_brokers" {
  description = "ORION_KAFKA_BROKERS (the MSK bootstrap brokers)."
  type        = string
}

variable "certificate_arn" {
  description = "ACM certificate of the public host name."
  type        = string
}

variable "logs_bucket" {
  description = "Bucket receiving the ALB access logs."
  type        = string
}

variable "waf_acl_arn" {
  description = "Optional WAFv2 web ACL for the load balancer."
  type        = string
  default     = null
}

variable "deletion_protection" {
  type    = bool
  default = true
}

variable "http_port" {
  type    = number
  default = 8080
}

variable "grpc_port" {
  type    = number
  default = 50051
}

variable "core_cpu" {
  type    = number
  default = 2048
}

variable "core_memory" {
  type    = number
  default = 4096
}

variable "bff_cpu" {
  type    = number
  default = 1024
}

variable "bff_memory" {
  type    = number
  default = 2048
}

variable "bff_min" {
  type    = number
  default = 2
}

variable "bff_max" {
  type    = number
  default = 8
}

variable "bff_connections_per_task" {
  description = "Open connections per BFF task the autoscaler aims for (perf-reports/fanout.md: 5,000 sessions held per replica)."
  type        = number
  default     = 3000
}
