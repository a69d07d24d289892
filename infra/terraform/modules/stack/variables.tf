variable "env" {
  description = "Environment name: resource prefix orion-<env> and ORION_ENV (topic prefix)."
  type        = string
}

variable "cidr" {
  type = string
}

variable "az_count" {
  type = number
}

variable "single_nat_gateway" {
  type = bool
}

variable "log_retention_days" {
  type = number
}

variable "msk_broker_count" {
  type = number
}

variable "rds_instance_class" {
  type = string
}

variable "rds_multi_az" {
  type = bool
}

variable "redis_replicas" {
  type = number
}

variable "deletion_protection" {
  type = bool
}

variable "bff_min" {
  type = number
}

variable "bff_max" {
  type = number
}

variable "allowed_client_cidrs" {
  type = list(string)
}

variable "image_repository" {
  type = string
}

variable "image_tag" {
  type = string
}

variable "certificate_arn" {
  type = string
}

variable "waf_acl_arn" {
  type    = string
  default = null
}

variable "alarm_emails" {
  type    = list(string)
  default = []
}
