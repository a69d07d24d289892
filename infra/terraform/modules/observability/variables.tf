variable "name" {
  description = "Prefix of every resource name, e.g. orion-dev."
  type        = string
}

variable "kms_key_arn" {
  type = string
}

variable "log_retention_days" {
  type    = number
  default = 365
}

variable "alarm_emails" {
  description = "Addresses subscribed to the alarm topic."
  type        = list(string)
  default     = []
}

variable "alb_arn_suffix" {
  type = string
}

variable "bff_target_group_arn_suffix" {
  type = string
}

variable "cluster_name" {
  type = string
}

variable "service_names" {
  description = "From the compute module: core, bff."
  type        = map(string)
}

variable "rds_identifier" {
  type = string
}

variable "msk_cluster_name" {
  type = string
}
