// placeholder until the ops bundle exists
