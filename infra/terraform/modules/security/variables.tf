variable "name" {
  description = "Prefix of every resource name, e.g. orion-dev."
  type        = string
}

variable "vpc_id" {
  type = string
}

variable "vpc_cidr" {
  type = string
}

variable "allowed_client_cidrs" {
  description = "Address ranges allowed to reach the load balancer on 443."
  type        = list(string)
}

variable "http_port" {
  description = "ORION_HTTP_ADDR port of the BFF replicas."
  type        = number
  default     = 8080
}

variable "grpc_port" {
  description = "ORION_GRPC_ADDR port of the core."
  type        = number
  default     = 50051
}

variable "kafka_port" {
  description = "The MSK listener the core uses: 9092 (plaintext inside the data subnets; the image's Kafka client has no TLS yet) or 9094 (TLS)."
  type        = number
  default     = 9092
}

variable "topic_prefix" {
  description = "ORION_ENV: the prefix of every topic."
  type        = string
}

variable "archive_bucket" {
  description = "Name of the S3 bucket for archives, exports and replay datasets."
  type        = string
}

variable "secret_recovery_days" {
  description = "Days a deleted secret can be restored."
  type        = number
  default     = 30
}
